/** The `registries` section of airlock.yaml → RegistrySettings per normalised host. */

import path from "node:path";
import { AirlockError } from "../errors.js";
import { parseRegistry } from "../ref/reference.js";
import { checkProxyUrl } from "../registry/proxy.js";
import { parseBudgetMs, parseDurationMs } from "../util/duration.js";
import { entriesOf, isRecord, type ReadContext } from "./context.js";
import type { Path } from "./paths.js";
import type { Reporter } from "./problems.js";
import type { RegistrySettings } from "./types.js";
import { readVerify } from "./verify.js";

/** Normalises a registry host written at `path`; reports ERR_REF_INVALID's message there. */
export function checkRegistryHost(
  host: string,
  at: Path,
  reporter: Reporter,
  anchor: "key" | "value" = "key",
): string | undefined {
  try {
    return parseRegistry(host);
  } catch (err) {
    if (!(err instanceof AirlockError) || err.code !== "ERR_REF_INVALID") throw err;
    reporter.problem(at, err.message, anchor);
    return undefined;
  }
}

/**
 * Normalises a registry key and checks that no earlier key (`seen`: host →
 * key as written) names the same registry ("index.docker.io" and "docker.io").
 */
export function checkUniqueHost(
  key: string,
  at: Path,
  seen: Map<string, string>,
  reporter: Reporter,
): string | undefined {
  const host = checkRegistryHost(key, at, reporter);
  if (host === undefined) return undefined;
  const first = seen.get(host);
  if (first === undefined) {
    seen.set(host, key);
    return host;
  }
  reporter.problem(at, `${JSON.stringify(key)} is the same registry as ${JSON.stringify(first)}`, "key");
  return undefined;
}

/** Reads `registries`: hosts checked and normalised (each once), paths made absolute. */
export function readRegistries(value: unknown, ctx: ReadContext): Record<string, RegistrySettings> {
  const out: Record<string, RegistrySettings> = {};
  const seen = new Map<string, string>();
  for (const [key, settings] of entriesOf(value)) {
    const at: Path = ["registries", key];
    const host = checkUniqueHost(key, at, seen, ctx.reporter);
    if (host !== undefined && isRecord(settings)) out[host] = readSettings(settings, at, ctx);
  }
  return out;
}

function readSettings(s: Record<string, unknown>, at: Path, ctx: ReadContext): RegistrySettings {
  const out: RegistrySettings = {};
  if (typeof s.insecure === "boolean") out.insecure = s.insecure;
  if (typeof s.plainHttp === "boolean") out.plainHttp = s.plainHttp;
  if (typeof s.caFile === "string" && s.caFile !== "") out.caFile = path.resolve(ctx.dir, s.caFile);
  if (typeof s.authFile === "string" && s.authFile !== "") out.authFile = path.resolve(ctx.dir, s.authFile);
  const creds = s.credentials;
  if (isRecord(creds) && typeof creds.usernameEnv === "string" && typeof creds.passwordEnv === "string") {
    out.usernameEnv = creds.usernameEnv;
    out.passwordEnv = creds.passwordEnv;
  }
  readNetwork(s, at, ctx, out);
  const verify = readVerify(s, ctx.dir);
  if (verify !== undefined) out.verify = verify;
  if (typeof s.mirror === "string" && s.mirror !== "") {
    const mirror = checkRegistryHost(s.mirror, [...at, "mirror"], ctx.reporter, "value");
    if (mirror !== undefined) out.mirror = mirror;
  }
  return out;
}

/** `proxy` (a URL, or false for none), `timeout` (a duration) and `retryFor` (a duration, or 0). */
function readNetwork(s: Record<string, unknown>, at: Path, ctx: ReadContext, out: RegistrySettings): void {
  if (s.proxy === false) out.proxy = false;
  if (typeof s.proxy === "string") {
    const url = checkProxyUrl(s.proxy);
    if (typeof url === "string") ctx.reporter.problem([...at, "proxy"], url);
    else out.proxy = s.proxy;
  }
  if (typeof s.timeout === "string" || typeof s.timeout === "number") {
    const ms = parseDurationMs(s.timeout);
    if (ms !== undefined) out.timeoutMs = ms;
    // The schema refuses a number that is not more than 0.
    else if (typeof s.timeout === "string") {
      ctx.reporter.problem(
        [...at, "timeout"],
        `${JSON.stringify(s.timeout)} is not a duration (e.g. 30s, 2m, 500ms)`,
      );
    }
  }
  if (typeof s.retryFor === "string" || typeof s.retryFor === "number") {
    const ms = parseBudgetMs(s.retryFor);
    if (ms !== undefined) out.retryForMs = ms;
    // The schema refuses a negative number.
    else if (typeof s.retryFor === "string") {
      ctx.reporter.problem(
        [...at, "retryFor"],
        `${JSON.stringify(s.retryFor)} is not a duration (e.g. 5m, 30s, or 0 for no retries)`,
      );
    }
  }
}
