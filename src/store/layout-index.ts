/**
 * The index.json of an OCI image layout (a directory, an oci-archive, a
 * bundle): the one place it is parsed, the image a reference names found,
 * and a new one named. Pure.
 */
import { AirlockError, type ErrorCode } from "../errors.js";
import { isValidDigest } from "../oci/digest.js";
import { isAttachedEntry } from "../oci/attached-annotations.js";
import { REF_NAME_ANNOTATION as REF_NAME } from "../oci/layout.js";
import { MediaType } from "../oci/media-types.js";
import { parseManifest } from "../oci/manifest.js";
import type { Descriptor, Index } from "../oci/types.js";
import { formatReference, parseReference } from "../ref/reference.js";

/** index.json is read into memory up to this size. */
export const MAX_LAYOUT_INDEX_BYTES = 64 * 1024 * 1024;

/** An image index.json names: the ref.name annotation and the descriptor it is on. */
export interface LayoutRef {
  reference: string;
  descriptor: Descriptor;
}

/** An empty index.json. */
export function emptyLayoutIndex(): Index {
  return { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };
}

/**
 * Parses index.json bytes.
 * @throws AirlockError ERR_MANIFEST_INVALID when they are not JSON; `notIndex`
 * (default ERR_MANIFEST_INVALID; a bundle says ERR_BUNDLE_CORRUPT) when they are not an image index.
 */
export function parseLayoutIndex(
  bytes: Buffer,
  where: string,
  notIndex: ErrorCode = "ERR_MANIFEST_INVALID",
): Index {
  const parsed = parseManifest(bytes, MediaType.OciIndex, `${where}: index.json`);
  if (parsed.kind !== "index") throw new AirlockError(notIndex, `${where}: index.json is not an image index`);
  return parsed.index;
}

/**
 * The images index.json names (by the ref.name annotation), in order; unnamed entries and
 * content attached to an image (a bundle's cosign tags and referrers, see layout-attached.ts) left out.
 */
export function layoutRefs(index: Index): LayoutRef[] {
  return index.manifests.flatMap((descriptor) => {
    const reference = descriptor.annotations?.[REF_NAME];
    return reference === undefined || isAttachedEntry(descriptor) ? [] : [{ reference, descriptor }];
  });
}

/** The names index.json gives its images, in order. */
export function layoutNames(index: Index): string[] {
  return layoutRefs(index).map((r) => r.reference);
}

/**
 * The entry `ref` names: by its ref.name annotation exactly, else as the same
 * normalised image reference ("ubuntu" finds "docker.io/library/ubuntu:latest"),
 * else by digest. Without `ref`, the only entry.
 * @throws AirlockError ERR_NOT_FOUND (no such name), ERR_USAGE (several images and no name).
 */
export function findInLayout(index: Index, ref: string | undefined, where: string): Descriptor {
  const entries = index.manifests;
  if (ref === undefined) {
    const images = entries.filter((d) => !isAttachedEntry(d));
    const [only] = images;
    if (images.length === 1 && only !== undefined) return only;
    if (images.length === 0) throw new AirlockError("ERR_NOT_FOUND", `${where} holds no images`);
    throw new AirlockError(
      "ERR_USAGE",
      `${where} holds ${images.length} images; name one as ${where}:REF (it has: ${namesOf(index)})`,
    );
  }
  const found =
    entries.find((d) => d.annotations?.[REF_NAME] === ref) ??
    entries.find((d) => sameReference(d.annotations?.[REF_NAME], ref)) ??
    (isValidDigest(ref) ? entries.find((d) => d.digest === ref) : undefined);
  if (found === undefined) {
    throw new AirlockError("ERR_NOT_FOUND", `"${ref}" is not in ${where} (it has: ${namesOf(index)})`);
  }
  return found;
}

/** index.json with `descriptor` named `ref` (replacing what had that name), or added unnamed. */
export function withLayoutEntry(index: Index, descriptor: Descriptor, ref: string | undefined): Index {
  const { annotations: _drop, ...plain } = descriptor;
  const entry: Descriptor = ref === undefined ? plain : { ...plain, annotations: { [REF_NAME]: ref } };
  const others = index.manifests.filter((d) => {
    const name = d.annotations?.[REF_NAME];
    return ref === undefined ? !(name === undefined && d.digest === descriptor.digest) : name !== ref;
  });
  return { ...index, manifests: [...others, entry] };
}

/** index.json bytes as airlock writes them. */
export function layoutIndexBytes(index: Index): Buffer {
  return Buffer.from(JSON.stringify(index));
}

function namesOf(index: Index): string {
  const names = layoutNames(index);
  const unnamed = index.manifests.filter((d) => !isAttachedEntry(d)).length - names.length;
  const parts = [...names.map((n) => JSON.stringify(n)), ...(unnamed > 0 ? [`${unnamed} unnamed`] : [])];
  return parts.join(", ") || "nothing";
}

function sameReference(name: string | undefined, ref: string): boolean {
  if (name === undefined) return false;
  try {
    return formatReference(parseReference(name)) === formatReference(parseReference(ref));
  } catch {
    return false;
  }
}
