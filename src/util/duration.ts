const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "30s", "2m", "500ms", "1h" or plain seconds ("45", 45) → milliseconds; undefined unless more than 0. */
export function parseDurationMs(value: string | number): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/i.exec(String(value).trim());
  const unit = UNITS[match?.[2]?.toLowerCase() ?? "s"];
  const ms = match === null || unit === undefined ? NaN : Math.round(Number(match[1]) * unit);
  return Number.isSafeInteger(ms) && ms > 0 ? ms : undefined;
}

/** Like parseDurationMs, but 0 ("0", "0s", 0) is allowed too: a budget that may be none. */
export function parseBudgetMs(value: string | number): number | undefined {
  if (/^0+(?:\.0+)?\s*(?:ms|s|m|h)?$/i.test(String(value).trim())) return 0;
  return parseDurationMs(value);
}
