/** What every check of one image reads from: the store, the image's digest and bytes, the policy. */
import { AirlockError } from "../errors.js";
import { parseManifest } from "../oci/manifest.js";
import type { Descriptor, ImageManifest } from "../oci/types.js";
import type { ImageSource } from "../store/image-store.js";
import { checkSmall, readAllCapped } from "../store/read-all.js";
import type { LoadedPolicy } from "./types.js";

/** Signatures, envelopes and bundles are small; anything larger is not one. */
const MAX_SIGNATURE_BLOB = 4 * 1024 * 1024;

export interface CheckContext {
  source: ImageSource;
  /** The image's top manifest digest: what a signature must name. */
  subject: string;
  /** The top manifest's bytes (a sigstore message signature is over them). */
  subjectBytes: Buffer;
  policy: LoadedPolicy;
  signal?: AbortSignal | undefined;
}

/** A signature layer's bytes, whole, verified against its descriptor. */
export async function readSmallBlob(
  ctx: CheckContext,
  d: Pick<Descriptor, "digest" | "size">,
): Promise<Buffer> {
  const what = `blob ${d.digest} in ${ctx.source.name}`;
  checkSmall(d.size, what, MAX_SIGNATURE_BLOB);
  const stream = await ctx.source.blobGet(d, { signal: ctx.signal });
  return await readAllCapped(stream, what, MAX_SIGNATURE_BLOB);
}

/** An attached manifest, which must be an image manifest (cosign's tags and referrers are). */
export async function readAttachedManifest(ctx: CheckContext, d: Descriptor): Promise<ImageManifest> {
  const bytes = await ctx.source.manifestGet(d, { signal: ctx.signal });
  const parsed = parseManifest(bytes, d.mediaType, `attached manifest ${d.digest}`);
  if (parsed.kind !== "image") {
    throw new AirlockError(
      "ERR_MANIFEST_INVALID",
      `attached manifest ${d.digest} is an index, not a signature`,
    );
  }
  return parsed.manifest;
}

/** JSON, or undefined when the bytes are not JSON. */
export function jsonOf(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
}

/** "sha256:<hex>" → "<hex>". */
export function hexOf(digest: string): string {
  return digest.slice(digest.indexOf(":") + 1);
}

/** The policy's keys, for messages: "key.pub", "any of 3 keys". */
export function keysSaid(ctx: CheckContext): string {
  const keys = ctx.policy.keys;
  if (keys.length === 0) return "no key (give --key)";
  return keys.length === 1 ? (keys[0]?.file ?? "") : `any of ${keys.length} keys`;
}
