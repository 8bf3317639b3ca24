import type { RetryNotice } from "../registry/request.js";
import { AirlockError } from "../errors.js";
import { VERSION } from "../version.js";
import type { RemoteOptions } from "../verbs/options.js";
import { skipsTlsVerify } from "./argv.js";
import { stringValue, type Io, type OptionValues } from "./command.js";
import {
  checkArgCount,
  commandName,
  parseCommandLine,
  takeRegistryRefs,
  unknownCommand,
} from "./command-line.js";
import { COMMANDS, findCommand } from "./commands/index.js";
import { globalCredential } from "./credential-flags.js";
import { ExitCode } from "./exit-codes.js";
import { commandHelp, mainHelp } from "./help.js";
import { createLog, logLevelOf, type Log } from "./log.js";
import { reportError, reportInterrupted, type ErrorSink } from "./report.js";
import { parseDuration, parseRetryFor } from "./parse.js";

/** Runs airlock with `argv` (without node and script); resolves to the exit code. Never throws. */
export async function runCli(argv: string[], io: Io, signal?: AbortSignal): Promise<number> {
  // Until the flags are parsed, errors are told as the command line seems to ask.
  const early = argv.slice(0, argv.includes("--") ? argv.indexOf("--") : undefined);
  const sink: ErrorSink = {
    stderr: io.stderr,
    json: early.includes("--json"),
    log: createLog(io.stderr, early.includes("-v") || early.includes("--verbose") ? "debug" : "info"),
  };
  try {
    const name = commandName(argv);
    if (name === undefined) return topLevel(argv, io);
    const command = findCommand(name);
    if (command === undefined) throw unknownCommand(name, COMMANDS);
    const line = parseCommandLine(command, argv);
    const { values } = line;
    sink.json = values.json === true;
    const log = createLog(io.stderr, logLevelOf(values));
    sink.log = log;
    alignLevelFlags(values, log);
    if (values.help === true) {
      io.stdout.write(commandHelp(command));
      return ExitCode.Ok;
    }
    checkArgCount(command, line.args);
    takeRegistryRefs(command, line);
    const remote = remoteOptions(values, log, signal);
    const credential = await globalCredential(stringValue(values, "creds"), process.env, io, signal);
    if (credential !== undefined) remote.credential = credential;
    const say = log.info;
    const code = await command.run({ positionals: line.args, values, remote, io, say, log, json: sink.json });
    if (signal?.aborted === true) return reportInterrupted(sink);
    return code ?? ExitCode.Ok;
  } catch (err) {
    return reportError(err, sink, signal);
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

/** Commands read their own --quiet and -v; the log level (from any of the flags) decides both. */
function alignLevelFlags(values: OptionValues, log: Log): void {
  values.quiet = !log.enabled("info");
  values.verbose = log.enabled("debug");
}

/** While a registry is unreachable, one line about it every few seconds (not one per request). */
function waitingLines(log: Log): (notice: RetryNotice) => void {
  const told = new Map<string, number>();
  return (notice) => {
    if (notice.unreachableForMs === undefined) return;
    const now = Date.now();
    if (now - (told.get(notice.registry) ?? -Infinity) < WAITING_LINE_MS) return;
    told.set(notice.registry, now);
    const seconds = Math.round(notice.unreachableForMs / 1000);
    log.info(`waiting for ${notice.registry}: unreachable for ${seconds} s, retrying`);
  };
}

const WAITING_LINE_MS = 5_000;

function remoteOptions(values: OptionValues, log: Log, signal?: AbortSignal): RemoteOptions {
  const caFiles = values["ca-file"];
  const timeout = stringValue(values, "timeout");
  const retryFor = stringValue(values, "retry-for");
  const options: RemoteOptions = {
    insecure: skipsTlsVerify(values),
    plainHttp: values["plain-http"] === true,
    caFiles: Array.isArray(caFiles) ? caFiles.map(String) : undefined,
    authFile: stringValue(values, "authfile"),
    timeoutMs: timeout === undefined ? undefined : parseDuration(timeout),
    retryForMs: retryFor === undefined ? undefined : parseRetryFor(retryFor),
    onWarning: (message) => log.warn(message),
    onRetry: waitingLines(log),
    signal,
  };
  if (log.enabled("debug")) options.onDebug = (line) => log.debug(line);
  return options;
}
