import type { ParseArgsConfig } from "node:util";
import type { RemoteOptions } from "../verbs/options.js";

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
  /** Prints one message line to stderr. */
  say: (line: string) => void;
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
  /** [min, max] positional arguments. */
  args: [number, number];
  run(ctx: CommandContext): Promise<number | void>;
}

export const GLOBAL_OPTIONS: OptionSpec = {
  insecure: { type: "boolean" },
  "plain-http": { type: "boolean" },
  "ca-file": { type: "string", multiple: true },
  authfile: { type: "string" },
  timeout: { type: "string" },
  verbose: { type: "boolean", short: "v" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
};

export const GLOBAL_HELP = `Global flags:
  --insecure          skip TLS certificate verification (TLS is still used)
  --plain-http        speak plain HTTP to the registry (loopback registries fall back to it by themselves)
  --ca-file FILE      trust this CA certificate (PEM) as well; repeatable
  --authfile FILE     read credentials only from this file (also REGISTRY_AUTH_FILE)
  --timeout DURATION  wait this long to connect, then for each answer's next bytes (default 30s; e.g. 10s, 2m)
  -v, --verbose       log every HTTP exchange to stderr (credentials never shown)
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
