import type { Dispatcher } from "undici";
import { RegistryError, messageOf, type ErrorCode, type RegistryErrorDetail } from "../errors.js";
import { isRetryableStatus } from "./retry.js";

const MAX_ERROR_BODY = 64 * 1024;

/** Query parameters whose values are safe to show; all others are masked. */
const SAFE_QUERY = new Set(["n", "last", "digest", "mount", "from", "service", "scope"]);

/** The URL without userinfo and with secret-looking query values masked. */
export function redactUrl(url: URL | string): string {
  const u = new URL(url.toString());
  u.username = "";
  u.password = "";
  for (const key of [...u.searchParams.keys()]) {
    if (!SAFE_QUERY.has(key)) u.searchParams.set(key, "REDACTED");
  }
  return u.toString();
}

/** The first string `code` on the error or its causes. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string") return code;
  const cause = (err as { cause?: unknown } | null)?.cause;
  return cause !== undefined && cause !== err ? errorCode(cause) : undefined;
}

/** True for errors that mean "this port speaks plain HTTP, not TLS". */
export function isTlsProtocolMismatch(err: unknown): boolean {
  const code = errorCode(err) ?? "";
  return (
    code === "ERR_SSL_WRONG_VERSION_NUMBER" ||
    code === "EPROTO" ||
    /WRONG_VERSION_NUMBER/.test(messageOf(err))
  );
}

/** Reads at most 64 KiB of an error body and parses the registry's error list. */
export async function readErrorDetails(
  body: Dispatcher.ResponseData["body"],
): Promise<RegistryErrorDetail[]> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= MAX_ERROR_BODY) break;
    }
  } catch {
    return [];
  } finally {
    body.destroy();
  }
  return parseErrorBody(Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY).toString("utf8"));
}

/** `{"errors":[{code,message}]}` per the spec, or Docker Hub's `{"details":…}`. */
export function parseErrorBody(text: string): RegistryErrorDetail[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return [];
  }
  const obj = json as { errors?: unknown; details?: unknown };
  if (Array.isArray(obj.errors)) {
    return obj.errors.map((e: { code?: unknown; message?: unknown }) => ({
      code: typeof e.code === "string" ? e.code : "UNKNOWN",
      message: typeof e.message === "string" ? e.message : "",
    }));
  }
  if (typeof obj.details === "string") return [{ code: "UNKNOWN", message: obj.details }];
  return [];
}

export interface StatusContext {
  method: string;
  url: URL;
  status: number;
  /** What was asked for, e.g. "manifest 127.0.0.1:5000/app:v1". */
  what: string;
  details: RegistryErrorDetail[];
}

/** Maps an unexpected status to an error whose message says what and what to do. */
export function statusError(ctx: StatusContext): RegistryError {
  const init = {
    method: ctx.method,
    url: redactUrl(ctx.url),
    status: ctx.status,
    details: ctx.details,
    retryable: isRetryableStatus(ctx.status),
  };
  const said = ctx.details.map((d) => `${d.code}${d.message ? ": " + d.message : ""}`).join("; ");
  const [code, text] = describeStatus(ctx);
  return new RegistryError(code, `${text}${said ? ` (registry said ${said})` : ""}`, init);
}

function describeStatus(ctx: StatusContext): [ErrorCode, string] {
  const codes = ctx.details.map((d) => d.code);
  switch (ctx.status) {
    case 400:
      if (ctx.url.protocol === "http:" && ctx.details.length === 0) {
        return [
          "ERR_TLS",
          `${ctx.what}: ${ctx.url.host} answered plain HTTP with 400; it probably speaks TLS: drop --plain-http`,
        ];
      }
      return ["ERR_REGISTRY", `${ctx.what}: ${ctx.method} ${redactUrl(ctx.url)} answered HTTP 400`];
    case 401:
      return ["ERR_AUTH", `${ctx.what}: authentication required or refused (HTTP 401)`];
    case 403:
      return ["ERR_DENIED", `${ctx.what}: access denied (HTTP 403)`];
    case 404:
      if (codes.includes("NAME_UNKNOWN")) return ["ERR_NOT_FOUND", `${ctx.what}: repository not found`];
      return ["ERR_NOT_FOUND", `${ctx.what}: not found`];
    case 405:
      return ["ERR_UNSUPPORTED", `${ctx.what}: the registry does not allow ${ctx.method} here (HTTP 405)`];
    case 413:
      return ["ERR_TOO_LARGE", `${ctx.what}: the registry refused it as too large (HTTP 413)`];
    case 429:
      return ["ERR_REGISTRY", `${ctx.what}: too many requests (HTTP 429), gave up after retrying`];
    default:
      return ["ERR_REGISTRY", `${ctx.what}: ${ctx.method} ${redactUrl(ctx.url)} answered HTTP ${ctx.status}`];
  }
}
