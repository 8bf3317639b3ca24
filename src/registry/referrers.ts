/**
 * What is attached to a manifest: the OCI 1.1 referrers API, its fallback tag
 * (`sha256-<hex>` holding an index of referrers, for registries without the
 * API, such as Distribution 2.8). The tag names are in oci/attached-tags.ts.
 */
import { AirlockError } from "../errors.js";
import type { Descriptor } from "../oci/types.js";
import { readBodyCapped } from "./body.js";
import { nextLink } from "./pagination.js";
import type { Scope } from "./scope.js";
import type { RegistryTransport } from "./transport.js";

export interface ReferrersRequest {
  repository: string;
  subject: string;
  /** Passed to the registry as `?artifactType=`; the answer is filtered here too. */
  artifactType?: string | undefined;
  scopes: Scope[];
  what: string;
  signal?: AbortSignal | undefined;
}

/** Statuses that mean "no referrers API here": fall back to the tag scheme. */
const NO_API = [400, 404, 406];
const MAX_PAGE_BYTES = 4 * 1024 * 1024;
const MAX_PAGES = 1000;

/**
 * The referrers API's answer, every page followed; undefined when the registry
 * has no referrers API (404, 400 or 406), so the caller reads the fallback tag.
 */
export async function referrersFromApi(
  t: RegistryTransport,
  req: ReferrersRequest,
): Promise<Descriptor[] | undefined> {
  const origin = new URL(await t.origin(req.signal));
  const query = req.artifactType === undefined ? "" : `?artifactType=${encodeURIComponent(req.artifactType)}`;
  let next: URL | undefined = new URL(`/v2/${req.repository}/referrers/${req.subject}${query}`, origin);
  const out: Descriptor[] = [];
  for (let page = 0; next !== undefined && page < MAX_PAGES; page++) {
    const res = await t.send({
      method: "GET",
      path: next.toString(),
      headers: { accept: "application/vnd.oci.image.index.v1+json" },
      scopes: req.scopes,
      expect: [200, ...NO_API],
      what: req.what,
      signal: req.signal,
    });
    if (res.status !== 200) {
      await res.body.dump();
      if (page === 0) return undefined;
      throw new AirlockError("ERR_REGISTRY", `${req.what}: a later page answered ${res.status}`);
    }
    out.push(...descriptorsOf(await readBodyCapped(res, MAX_PAGE_BYTES, req.what), req.what));
    next = nextLink(res.headers.link, res.url, origin, req.what);
  }
  return filterArtifactType(out, req.artifactType);
}

/** The descriptors an index of referrers lists (the API's answer, or the fallback tag's manifest). */
export function descriptorsOf(body: Buffer, what: string): Descriptor[] {
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch {
    throw new AirlockError("ERR_REGISTRY", `${what}: the registry sent invalid JSON`);
  }
  const manifests = (json as { manifests?: unknown } | null)?.manifests;
  if (manifests === undefined || manifests === null) return [];
  if (!Array.isArray(manifests)) throw new AirlockError("ERR_REGISTRY", `${what}: "manifests" is not a list`);
  return manifests.filter(isDescriptor);
}

function isDescriptor(value: unknown): value is Descriptor {
  const d = value as Partial<Descriptor> | null;
  return (
    typeof d === "object" &&
    d !== null &&
    typeof d.mediaType === "string" &&
    typeof d.digest === "string" &&
    /^sha256:[a-f0-9]{64}$/.test(d.digest) &&
    typeof d.size === "number" &&
    Number.isSafeInteger(d.size) &&
    d.size >= 0
  );
}

/** Only the descriptors of the artifact type, when one is given. */
export function filterArtifactType(list: Descriptor[], artifactType: string | undefined): Descriptor[] {
  return artifactType === undefined ? list : list.filter((d) => d.artifactType === artifactType);
}
