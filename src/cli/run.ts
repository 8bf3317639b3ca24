import { parseArgs } from "node:util";
import { AirlockError, isAirlockError, messageOf } from "../errors.js";
import { VERSION } from "../version.js";
import type { RemoteOptions } from "../verbs/options.js";
import { GLOBAL_OPTIONS, flag, stringValue, type Command, type Io, type OptionValues } from "./command.js";
import { findCommand } from "./commands/index.js";
import { ExitCode, exitCodeFor } from "./exit-codes.js";
import { commandHelp, mainHelp } from "./help.js";
import { parseDuration } from "./parse.js";

/** Runs airlock with `argv` (without node and script); resolves to the exit code. Never throws. */
export async function runCli(argv: string[], io: Io, signal?: AbortSignal): Promise<number> {
  const say = (line: string): void => void io.stderr.write(line + "\n");
  let verbose = argv.includes("-v") || argv.includes("--verbose");
  try {
    const name = commandName(argv);
    if (name === undefined) return topLevel(argv, io);
    const command = findCommand(name);
    if (command === undefined) {
      throw new AirlockError("ERR_USAGE", `unknown command "${name}": run "airlock --help" for the list`);
    }
    const { values, positionals } = parseCommandLine(command, argv);
    verbose = flag(values, "verbose");
    if (flag(values, "help")) {
      io.stdout.write(commandHelp(command));
      return ExitCode.Ok;
    }
    checkArgCount(command, positionals.slice(1));
    const remote = remoteOptions(values, verbose, say, signal);
    const code = await command.run({ positionals: positionals.slice(1), values, remote, io, say });
    return code ?? ExitCode.Ok;
  } catch (err) {
    return reportError(err, verbose, say, signal);
  }
}

function topLevel(argv: string[], io: Io): number {
  if (argv.includes("--version")) {
    io.stdout.write(`airlock ${VERSION}\n`);
    return ExitCode.Ok;
  }
  if (argv.length === 0 || argv.includes("--help") || argv.includes("-h")) {
    io.stdout.write(mainHelp());
    return argv.length === 0 ? ExitCode.Usage : ExitCode.Ok;
  }
  throw new AirlockError("ERR_USAGE", `unknown flag ${argv[0] ?? ""}: run "airlock --help"`);
}

/** The first argument that is not a global flag or a global flag's value. */
function commandName(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (!arg.startsWith("-")) return arg;
    const spec = GLOBAL_OPTIONS[arg.replace(/^--?/, "")];
    if (spec?.type === "string" && !arg.includes("=")) i++;
  }
  return undefined;
}

function parseCommandLine(command: Command, argv: string[]): { values: OptionValues; positionals: string[] } {
  try {
    const parsed = parseArgs({
      args: argv,
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    return { values: parsed.values as OptionValues, positionals: parsed.positionals };
  } catch (err) {
    // node:util's messages go on to explain "--"; the first sentence is what matters.
    const text = (messageOf(err).split("\n")[0] ?? "").split(". ")[0] ?? "";
    throw new AirlockError("ERR_USAGE", `${text.replace(/\.$/, "")}: run "airlock ${command.name} --help"`);
  }
}

function checkArgCount(command: Command, args: string[]): void {
  const [min, max] = command.args;
  if (args.length < min || args.length > max) {
    throw new AirlockError(
      "ERR_USAGE",
      `airlock ${command.name} takes ${command.usage}, got ${args.length} argument(s): run "airlock ${command.name} --help"`,
    );
  }
}

function remoteOptions(
  values: OptionValues,
  verbose: boolean,
  say: (line: string) => void,
  signal?: AbortSignal,
): RemoteOptions {
  const caFiles = values["ca-file"];
  const timeout = stringValue(values, "timeout");
  const options: RemoteOptions = {
    insecure: flag(values, "insecure"),
    plainHttp: flag(values, "plain-http"),
    caFiles: Array.isArray(caFiles) ? caFiles.map(String) : undefined,
    authFile: stringValue(values, "authfile"),
    timeoutMs: timeout === undefined ? undefined : parseDuration(timeout),
    onWarning: (message) => say(`airlock: warning: ${message}`),
    signal,
  };
  if (verbose) options.onDebug = (line) => say(`airlock: debug: ${line}`);
  return options;
}

function reportError(
  err: unknown,
  verbose: boolean,
  say: (line: string) => void,
  signal?: AbortSignal,
): number {
  if (signal?.aborted === true) {
    say("airlock: interrupted");
    return ExitCode.Interrupted;
  }
  if (isAirlockError(err)) {
    say(`airlock: error: ${err.message}`);
    if (verbose && err.cause !== undefined) say(`airlock: cause: ${messageOf(err.cause)}`);
    return exitCodeFor(err.code);
  }
  const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
  say(`airlock: internal error (a bug in airlock; please report it with this trace):\n${stack}`);
  return ExitCode.Internal;
}
