import { isAirlockError, messageOf } from "../errors.js";
import { formatPosition } from "../imagelist/problems.js";
import { PlanError } from "../plan/plan-error.js";
import { ExitCode, exitCodeFor } from "./exit-codes.js";
import { exitCodeOfGroups, formatGroup, groupFailures, type ImageFailure } from "./failures.js";
import type { Log } from "./log.js";

/** How an error is told: one line of text, or with --json one JSON object, on stderr. */
export interface ErrorSink {
  stderr: NodeJS.WritableStream;
  log: Log;
  json: boolean;
}

/** The error object --json prints on stderr. */
export interface ErrorObject {
  code: string;
  message: string;
  exitCode: number;
  stack?: string;
  /** Per-image failures, when a command that tries every image reports them. */
  failures?: ImageFailure[];
}

export function printErrorObject(stderr: NodeJS.WritableStream, error: ErrorObject): void {
  stderr.write(JSON.stringify(error) + "\n");
}

/**
 * Tells the error and returns its exit code: "interrupted" (130) once the signal
 * has fired, whatever was thrown; a known error in one line; anything else as a
 * bug, with its stack.
 */
export function reportError(err: unknown, sink: ErrorSink, signal?: AbortSignal): number {
  if (signal?.aborted === true) return reportInterrupted(sink);
  if (err instanceof PlanError) {
    const failures = err.problems.map((p) => ({
      reference: p.entry.source,
      code: p.code,
      message: p.message,
      at: formatPosition(p.entry.position),
    }));
    return reportFailures(failures, sink);
  }
  if (isAirlockError(err)) {
    const exitCode = exitCodeFor(err.code);
    if (sink.json) printErrorObject(sink.stderr, { code: err.code, message: err.message, exitCode });
    else {
      sink.log.error(err.message);
      if (err.cause !== undefined) sink.log.debug(`cause: ${messageOf(err.cause)}`);
    }
    return exitCode;
  }
  const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
  const exitCode = ExitCode.Internal;
  if (sink.json) {
    printErrorObject(sink.stderr, { code: "ERR_INTERNAL", message: messageOf(err), exitCode, stack });
  } else {
    sink.stderr.write(
      `airlock: internal error (a bug in airlock; please report it with this trace):\n${stack}\n`,
    );
  }
  return exitCode;
}

export function reportInterrupted(sink: ErrorSink): number {
  const exitCode = ExitCode.Interrupted;
  if (sink.json) printErrorObject(sink.stderr, { code: "ERR_ABORTED", message: "interrupted", exitCode });
  else sink.stderr.write("airlock: interrupted\n");
  return exitCode;
}

/**
 * Tells per-image failures, grouped by cause (one line a group; with --json one
 * object holding them all); returns the exit code, Ok when there is none.
 */
export function reportFailures(failures: readonly ImageFailure[], sink: ErrorSink): number {
  const groups = groupFailures(failures);
  if (groups.length === 0) return ExitCode.Ok;
  const exitCode = exitCodeOfGroups(groups);
  const lines = groups.map(formatGroup);
  if (sink.json) {
    const code = groups[0]?.code ?? "ERR_REGISTRY";
    printErrorObject(sink.stderr, { code, message: lines.join("; "), exitCode, failures: [...failures] });
  } else for (const line of lines) sink.log.error(line);
  return exitCode;
}
