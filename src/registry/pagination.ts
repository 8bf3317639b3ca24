import LinkHeader from "http-link-header";
import { AirlockError } from "../errors.js";
import { readBodyCapped } from "./body.js";
import type { Scope } from "./scope.js";
import type { RegistryTransport } from "./transport.js";

export interface ListRequest {
  path: string;
  field: "tags" | "repositories";
  scopes: Scope[];
  what: string;
  signal?: AbortSignal;
}

const MAX_PAGE_BYTES = 16 * 1024 * 1024;
const MAX_PAGES = 10_000;
const TAG = /^[\w][\w.-]{0,127}$/;

/**
 * Follows `Link: <…>; rel="next"` verbatim, resolved against the request URL
 * and kept on the same host; drops entries that are not valid names (some
 * registries list nulls or digests).
 */
export async function listPaginated(t: RegistryTransport, req: ListRequest): Promise<string[]> {
  const out: string[] = [];
  const origin = new URL(await t.origin(req.signal));
  let next: URL | undefined = new URL(req.path, origin);
  for (let page = 0; next !== undefined && page < MAX_PAGES; page++) {
    const res = await t.send({ ...req, method: "GET", path: next.toString(), expect: [200] });
    const body = await readBodyCapped(res, MAX_PAGE_BYTES, req.what);
    out.push(...namesFrom(body, req));
    next = nextLink(res.headers.link, res.url, origin, req.what);
  }
  return out;
}

function namesFrom(body: Buffer, req: ListRequest): string[] {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
  } catch {
    throw new AirlockError("ERR_REGISTRY", `${req.what}: the registry sent invalid JSON`);
  }
  const list = json[req.field];
  if (list === null || list === undefined) return [];
  if (!Array.isArray(list))
    throw new AirlockError("ERR_REGISTRY", `${req.what}: "${req.field}" is not a list`);
  return list.filter(
    (x): x is string => typeof x === "string" && (req.field === "repositories" ? x !== "" : TAG.test(x)),
  );
}

/** The `rel="next"` link, resolved against the answering URL; refused when it leaves the origin. */
export function nextLink(
  header: string | string[] | undefined,
  base: URL,
  origin: URL,
  what: string,
): URL | undefined {
  const value = Array.isArray(header) ? header.join(", ") : header;
  if (value === undefined || value === "") return undefined;
  const refs = LinkHeader.parse(value).rel("next");
  const first = refs[0];
  if (first === undefined) return undefined;
  const url = new URL(first.uri, base);
  if (url.origin !== origin.origin) {
    throw new AirlockError(
      "ERR_REGISTRY",
      `${what}: the next page link points to another host (${url.origin})`,
    );
  }
  return url;
}
