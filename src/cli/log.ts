import { AirlockError } from "../errors.js";
import { flag, stringValue, type OptionValues } from "./command.js";

export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Messages on stderr, filtered by level: errors always, warnings, info (the usual lines), debug. */
export interface Log {
  readonly level: LogLevel;
  enabled: (level: LogLevel) => boolean;
  error: (message: string) => void;
  warn: (message: string) => void;
  info: (line: string) => void;
  debug: (line: string) => void;
  /** A line as it is, at that level (e.g. a validation problem in its FILE:LINE:COLUMN form). */
  write: (level: LogLevel, line: string) => void;
}

export function createLog(stderr: NodeJS.WritableStream, level: LogLevel): Log {
  const rank = LOG_LEVELS.indexOf(level);
  const enabled = (l: LogLevel): boolean => LOG_LEVELS.indexOf(l) <= rank;
  const print = (l: LogLevel, line: string): void => {
    if (enabled(l)) stderr.write(line + "\n");
  };
  return {
    level,
    enabled,
    error: (message) => print("error", `airlock: error: ${message}`),
    warn: (message) => print("warn", `airlock: warning: ${message}`),
    info: (line) => print("info", line),
    debug: (line) => print("debug", `airlock: debug: ${line}`),
    write: print,
  };
}

/**
 * The level the flags ask for: --log-level, else -q (error), else -v (debug),
 * else info; with --json, error (stderr then holds only the error object).
 */
export function logLevelOf(values: OptionValues): LogLevel {
  const named = stringValue(values, "log-level");
  if (named !== undefined) {
    const level = LOG_LEVELS.find((l) => l === named);
    if (level === undefined) {
      throw new AirlockError(
        "ERR_USAGE",
        `--log-level must be one of ${LOG_LEVELS.join(", ")}, not "${named}"`,
      );
    }
    return level;
  }
  if (flag(values, "quiet")) return "error";
  if (flag(values, "verbose")) return "debug";
  return flag(values, "json") ? "error" : "info";
}
