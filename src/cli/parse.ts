import { AirlockError } from "../errors.js";
import { parseBudgetMs, parseDurationMs } from "../util/duration.js";

/** --concurrency: a whole number from 1 to 256. */
export function parseConcurrency(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new AirlockError("ERR_USAGE", `--concurrency must be a whole number from 1 to 256, not "${text}"`);
  }
  return n;
}

/** --split: "4G", "500M", "1.5GiB", "1048576" → bytes (K, M, G, T are powers of 1024), at least 4 KiB. */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(text.trim());
  const unit = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[match?.[2]?.toLowerCase() ?? ""];
  const value = match === null || unit === undefined ? NaN : Math.floor(Number(match[1]) * unit);
  if (!Number.isSafeInteger(value) || value < 4096) {
    throw new AirlockError("ERR_USAGE", `--split "${text}" is not a size (e.g. 4G, 700M, 512K)`);
  }
  return value;
}

/** --timeout: "30s", "2m", "500ms", "1h" or plain seconds ("45") → milliseconds, more than 0. */
export function parseDuration(text: string, flag = "--timeout"): number {
  const ms = parseDurationMs(text);
  if (ms === undefined) {
    throw new AirlockError("ERR_USAGE", `${flag} "${text}" is not a duration (e.g. 30s, 2m, 500ms)`);
  }
  return ms;
}

/** --retry-for: a duration as for --timeout, or 0 for no retries → milliseconds. */
export function parseRetryFor(text: string): number {
  const ms = parseBudgetMs(text);
  if (ms === undefined) {
    throw new AirlockError(
      "ERR_USAGE",
      `--retry-for "${text}" is not a duration (e.g. 5m, 30s, or 0 for no retries)`,
    );
  }
  return ms;
}
