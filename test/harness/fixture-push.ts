/**
 * A minimal pusher for seeding the plain-HTTP test registry (no auth): HEAD
 * then monolithic upload for blobs, manifests children-first, and every
 * `Docker-Content-Digest` checked against the bytes sent or received.
 */
import { sha256Digest } from "../../src/oci/digest.js";
import { MANIFEST_ACCEPT } from "../../src/oci/media-types.js";
import type { Blob, BuiltImage, BuiltNode } from "./image-builder.js";

/** Raw manifest bytes as a registry serves them. */
export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

async function failure(method: string, url: string, res: Response, expected: string): Promise<Error> {
  const body = (await res.text()).slice(0, 2000);
  return new Error(`${method} ${url}: expected ${expected}, got ${res.status} ${res.statusText}: ${body}`);
}

function checkDigestHeader(method: string, url: string, res: Response, digest: string): void {
  const header = res.headers.get("docker-content-digest");
  if (header !== digest) {
    throw new Error(`${method} ${url}: Docker-Content-Digest ${String(header)}, expected ${digest}`);
  }
}

/** True when the repository holds the blob (HEAD 200), false on 404. */
export async function blobExists(baseUrl: string, name: string, digest: string): Promise<boolean> {
  const url = `${baseUrl}/v2/${name}/blobs/${digest}`;
  const res = await fetch(url, { method: "HEAD" });
  if (res.status === 200) return true;
  if (res.status === 404) return false;
  throw await failure("HEAD", url, res, "200 or 404");
}

/** Uploads the blob in one PUT unless the repository already has it. */
export async function blobPush(baseUrl: string, name: string, blob: Blob): Promise<void> {
  if (await blobExists(baseUrl, name, blob.digest)) return;
  const startUrl = `${baseUrl}/v2/${name}/blobs/uploads/`;
  const started = await fetch(startUrl, { method: "POST" });
  const location = started.headers.get("location");
  if (started.status !== 202 || location === null) throw await failure("POST", startUrl, started, "202");
  await started.arrayBuffer();
  const putUrl = new URL(location, startUrl);
  putUrl.searchParams.set("digest", blob.digest);
  const res = await fetch(putUrl, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream" },
    body: blob.bytes,
  });
  if (res.status !== 201) throw await failure("PUT", putUrl.pathname, res, "201");
  await res.arrayBuffer();
  checkDigestHeader("PUT", putUrl.pathname, res, blob.digest);
}

/** PUTs manifest bytes under `ref` (tag or digest) with Content-Type = its media type. */
export async function manifestPut(
  baseUrl: string,
  name: string,
  ref: string,
  manifest: Blob & { mediaType: string },
): Promise<void> {
  const url = `${baseUrl}/v2/${name}/manifests/${ref}`;
  const res = await fetch(url, {
    method: "PUT",
    headers: { "content-type": manifest.mediaType },
    body: manifest.bytes,
  });
  if (res.status !== 201) throw await failure("PUT", url, res, "201");
  await res.arrayBuffer();
  checkDigestHeader("PUT", url, res, manifest.digest);
}

/** GETs a manifest with the full Accept list; the digest is computed from the bytes. */
export async function manifestGet(baseUrl: string, name: string, ref: string): Promise<FetchedManifest> {
  const url = `${baseUrl}/v2/${name}/manifests/${ref}`;
  const res = await fetch(url, { headers: { accept: MANIFEST_ACCEPT.join(", ") } });
  if (res.status !== 200) throw await failure("GET", url, res, "200");
  const bytes = Buffer.from(await res.arrayBuffer());
  const digest = sha256Digest(bytes);
  checkDigestHeader("GET", url, res, digest);
  const mediaType = (res.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
  return { bytes, mediaType, digest };
}

async function pushImageBlobs(baseUrl: string, name: string, image: BuiltImage): Promise<void> {
  for (const blob of [image.config, ...image.layers]) await blobPush(baseUrl, name, blob);
}

/**
 * Pushes an image or index with everything it references: blobs first, then
 * child manifests by digest, then the top manifest under each tag (by digest
 * when `tags` is empty).
 */
export async function pushNode(
  baseUrl: string,
  name: string,
  node: BuiltNode,
  tags: string[],
): Promise<void> {
  const children = node.kind === "index" ? node.children : [node];
  for (const child of children) await pushImageBlobs(baseUrl, name, child);
  if (node.kind === "index") {
    for (const child of node.children) await manifestPut(baseUrl, name, child.digest, child);
  }
  const refs = tags.length > 0 ? tags : [node.digest];
  for (const ref of refs) await manifestPut(baseUrl, name, ref, node);
}
