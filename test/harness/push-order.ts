/**
 * What a pushed bundle must put under each tag, taken from its lock, and the
 * proof from a fault proxy's log that no tag was written before all of it
 * was confirmed present in the target.
 */
import { targetRepository, targetTag } from "../../src/ref/target-name.js";
import type { Lock } from "../../src/plan/lock-types.js";
import type { ProxyLogEntry } from "./fault-proxy.js";

/** One tag of the target and everything it needs. */
export interface ExpectedImage {
  reference: string;
  repository: string;
  tag: string;
  /** The top manifest's digest. */
  digest: string;
  /** Child manifests of an index (platforms and attestations); empty for a single image. */
  manifests: string[];
  /** Every config and layer. */
  blobs: string[];
}

/** The tagged images of a lock, named in the target as push-bundle names them. */
export function expectedImages(lock: Lock, prefix?: string): ExpectedImage[] {
  return lock.entries.flatMap((entry) =>
    entry.images.flatMap((image): ExpectedImage[] => {
      const tag = targetTag(image.reference);
      if (tag === undefined) return [];
      const children = [...image.platforms, ...(image.attestations ?? [])];
      const manifests = children.map((c) => c.digest).filter((d) => d !== image.digest);
      const blobs = children.flatMap((c) => [c.config.digest, ...c.layers.map((l) => l.digest)]);
      const repository = targetRepository(image.reference, prefix === undefined ? {} : { prefix });
      return [{ reference: image.reference, repository, tag, digest: image.digest, manifests, blobs }];
    }),
  );
}

/** The request path without its query, and the query's parameters. */
function split(entry: ProxyLogEntry): { path: string; query: URLSearchParams } {
  const url = new URL(entry.path, "http://proxy");
  return { path: url.pathname, query: url.searchParams };
}

/** True when the entry is the registry confirming that `repository` holds blob `digest`. */
export function confirmsBlob(entry: ProxyLogEntry, repository: string, digest: string): boolean {
  const { path, query } = split(entry);
  const { method, status } = entry;
  if (method === "HEAD" && status === 200) return path === `/v2/${repository}/blobs/${digest}`;
  if (!path.startsWith(`/v2/${repository}/blobs/uploads/`) || status !== 201) return false;
  if (method === "PUT") return query.get("digest") === digest;
  return method === "POST" && query.get("mount") === digest;
}

/** True when the entry is the registry confirming that `repository` holds manifest `digest`. */
export function confirmsManifest(entry: ProxyLogEntry, repository: string, digest: string): boolean {
  if (split(entry).path !== `/v2/${repository}/manifests/${digest}`) return false;
  if (entry.method === "PUT") return entry.status === 201;
  return (entry.method === "HEAD" || entry.method === "GET") && entry.status === 200;
}

/** Every tag PUT sent for this image, whatever its answer (refused, cut or lost ones too). */
export function tagPuts(log: readonly ProxyLogEntry[], image: ExpectedImage): ProxyLogEntry[] {
  const path = `/v2/${image.repository}/manifests/${image.tag}`;
  return log.filter((e) => e.method === "PUT" && split(e).path === path);
}

/**
 * Problems with the order: for every tag PUT sent for an image, each of its
 * blobs and child manifests must have been confirmed present in its
 * repository by a response sent before that PUT arrived.
 */
export function orderProblems(log: readonly ProxyLogEntry[], images: ExpectedImage[]): string[] {
  const problems: string[] = [];
  for (const image of images) {
    for (const put of tagPuts(log, image)) {
      const before = log.filter((e) => e.doneAt !== undefined && e.doneAt <= put.at);
      for (const blob of image.blobs) {
        if (!before.some((e) => confirmsBlob(e, image.repository, blob)))
          problems.push(`${image.repository}:${image.tag} (request ${put.seq}) before blob ${blob}`);
      }
      for (const manifest of image.manifests) {
        if (!before.some((e) => confirmsManifest(e, image.repository, manifest)))
          problems.push(`${image.repository}:${image.tag} (request ${put.seq}) before manifest ${manifest}`);
      }
    }
  }
  return problems;
}

/** "repository@digest" of a blob upload's closing PUT, or undefined for any other entry. */
function uploadedBlob(entry: ProxyLogEntry): string | undefined {
  const { path, query } = split(entry);
  const match = /^\/v2\/(.+)\/blobs\/uploads\//.exec(path);
  const digest = query.get("digest");
  return entry.method === "PUT" && match?.[1] !== undefined && digest !== null
    ? `${match[1]}@${digest}`
    : undefined;
}

/**
 * Blobs uploaded again from request `since` on although an earlier request
 * had them confirmed present in the same repository: what a resumed run must
 * not do.
 */
export function uploadsAgain(log: readonly ProxyLogEntry[], since: number): string[] {
  const confirmed = new Set<string>();
  for (const e of log.slice(0, since)) {
    const blob = uploadedBlob(e);
    if (blob !== undefined && e.status === 201) confirmed.add(blob);
    const mount = /^\/v2\/(.+)\/blobs\/uploads\/\?mount=([^&]+)/.exec(e.path);
    if (e.method === "POST" && e.status === 201 && mount?.[1] !== undefined && mount[2] !== undefined)
      confirmed.add(`${mount[1]}@${decodeURIComponent(mount[2])}`);
  }
  return log.slice(since).flatMap((e) => {
    const blob = uploadedBlob(e);
    return blob !== undefined && confirmed.has(blob) ? [blob] : [];
  });
}
