import type { ParseArgsConfig } from "node:util";
import type { RemoteOptions } from "../verbs/options.js";
import type { Log } from "./log.js";

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;
export type OptionValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

/** Where a command writes: data to stdout, messages to stderr. */
export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
}

export interface CommandContext {
  positionals: string[];
  values: OptionValues;
  /** Registry options built from the global flags. */
  remote: RemoteOptions;
  io: Io;
  /** Prints one message line to stderr (at log level info: not with --quiet). */
  say: (line: string) => void;
  /** Messages by level (--quiet, -v, --log-level). */
  log: Log;
  /** --json: the result as JSON on stdout, an error as one JSON object on stderr. */
  json: boolean;
}

export interface Command {
  name: string;
  aliases?: string[];
  /** One line for the command list. */
  summary: string;
  /** "REPO" etc., shown after the command name. */
  usage: string;
  /** Longer help: what it does, its flags. */
  help: string;
  options: OptionSpec;
  /** Arguments (by position) and flags that name a registry reference: docker://REF is taken there. */
  registryRefs?: { args?: readonly number[]; flags?: readonly string[] };
  /** [min, max] positional arguments. */
  args: [number, number];
  run(ctx: CommandContext): Promise<number | void>;
}

export const GLOBAL_OPTIONS: OptionSpec = {
  insecure: { type: "boolean" },
  "tls-verify": { type: "boolean" },
  "plain-http": { type: "boolean" },
  "ca-file": { type: "string", multiple: true },
  authfile: { type: "string" },
  creds: { type: "string" },
  timeout: { type: "string" },
  "retry-for": { type: "string" },
  verbose: { type: "boolean", short: "v" },
  quiet: { type: "boolean", short: "q" },
  "log-level": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
};

export const GLOBAL_HELP = `Global flags:
  --insecure          skip TLS certificate verification (TLS is still used)
  --tls-verify=false  the same, in skopeo's words (--tls-verify=true verifies)
  --plain-http        speak plain HTTP to the registry (loopback registries fall back to it by themselves)
  --ca-file FILE      trust this CA certificate (PEM) as well; repeatable
  --authfile FILE     read credentials only from this file (also REGISTRY_AUTH_FILE)
  --creds USER[:PASS] use these credentials for every registry, instead of any auth file
                      (asks for PASS on a terminal; else AIRLOCK_USERNAME and AIRLOCK_PASSWORD)
  --timeout DURATION  wait this long to connect, then for each answer's next bytes (default 30s; e.g. 10s, 2m)
  --retry-for DURATION
                      keep retrying a failing request this long: 5xx, 429, cut connections, and a
                      registry that stopped answering mid-run (default 5m; 0: no retries)
  -v, --verbose       debug messages: every HTTP exchange on stderr (credentials never shown)
  -q, --quiet         errors only on stderr (no progress, no summary); progress is bars on a
                      terminal, else a line every 5s (AIRLOCK_PROGRESS_INTERVAL_MS=ms sets it)
  --log-level LEVEL   error, warn, info (default) or debug
  --json              the result as JSON on stdout; an error as one JSON object on stderr
                      ({"code","message","exitCode"}); messages off unless -v or --log-level
  -h, --help          show help
  --version           print airlock's version`;

export const PLATFORM_OPTION: OptionSpec = { platform: { type: "string" } };

export function stringValue(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
}

export function flag(values: OptionValues, name: string): boolean {
  return values[name] === true;
}
