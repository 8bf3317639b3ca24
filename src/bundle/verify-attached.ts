/**
 * verify-bundle's checks of what is attached to the images: every attached entry belongs to an
 * image index.json names, its subject is a manifest the bundle holds, a referrer's own `subject`
 * agrees with its entry, a cosign tag is the one its subject gives, and index.json and the
 * bundled lock list the same attached content.
 */
import { COSIGN_SUFFIXES, cosignTag } from "../oci/attached-tags.js";
import { parseManifest } from "../oci/manifest.js";
import type { Lock } from "../plan/lock-types.js";
import type { BundleReader } from "../store/bundle-reader.js";
import type { AttachedRef } from "../store/layout-attached.js";

const KINDS = new Set(["referrer", ...COSIGN_SUFFIXES.map((s) => `cosign-${s}`)]);

/** One line per problem with the attached entries; `manifests` are the manifests the walk read whole. */
export async function attachedProblems(
  reader: BundleReader,
  attached: AttachedRef[],
  images: Set<string>,
  manifests: Set<string>,
  lock: Lock | undefined,
): Promise<string[]> {
  const problems: string[] = [];
  for (const a of attached) {
    const what = `${a.image || "(no image)"}: ${a.kind || "attached"} ${a.descriptor.digest}`;
    if (!images.has(a.image)) problems.push(`${what} travels with an image index.json does not name`);
    if (!KINDS.has(a.kind)) problems.push(`${what} is attached in an unknown way ("${a.kind}")`);
    if (!manifests.has(a.subject)) {
      problems.push(`${what} is attached to ${a.subject || "nothing"}, which is not in the bundle`);
    }
    problems.push(...(await entryProblems(reader, a, what, manifests)));
  }
  if (lock !== undefined) problems.push(...lockAgreement(lock, attached));
  return problems;
}

/** A cosign tag named by its subject; a referrer whose manifest names the same subject. */
async function entryProblems(
  reader: BundleReader,
  a: AttachedRef,
  what: string,
  manifests: Set<string>,
): Promise<string[]> {
  if (a.kind.startsWith("cosign-")) {
    const suffix = a.kind.slice("cosign-".length) as (typeof COSIGN_SUFFIXES)[number];
    const expected = safeTag(a.subject, suffix);
    return a.tag === expected ? [] : [`${what} is tagged ${a.tag ?? "nothing"}, expected ${expected}`];
  }
  if (a.kind !== "referrer" || !manifests.has(a.descriptor.digest)) return [];
  const parsed = parseManifest(await reader.readBlob(a.descriptor), a.descriptor.mediaType);
  const subject = (parsed.kind === "image" ? parsed.manifest : parsed.index).subject?.digest;
  return subject === a.subject
    ? []
    : [`${what} names subject ${subject ?? "none"} in its manifest, index.json says ${a.subject}`];
}

function safeTag(subject: string, suffix: (typeof COSIGN_SUFFIXES)[number]): string {
  try {
    return cosignTag(subject, suffix);
  } catch {
    return `sha256-<hex>.${suffix}`;
  }
}

/** Per image, the lock's attached digests and index.json's attached entries are the same. */
function lockAgreement(lock: Lock, attached: AttachedRef[]): string[] {
  const problems: string[] = [];
  const listed = new Set(attached.map((a) => `${a.image} ${a.descriptor.digest}`));
  const locked = new Set<string>();
  for (const image of lock.entries.flatMap((e) => e.images)) {
    for (const a of image.attached ?? []) {
      const key = `${image.reference} ${a.digest}`;
      locked.add(key);
      if (!listed.has(key)) {
        problems.push(
          `${image.reference}: ${a.kind} ${a.digest} is in the bundle's lock but not in index.json`,
        );
      }
    }
  }
  for (const a of attached) {
    if (!locked.has(`${a.image} ${a.descriptor.digest}`)) {
      problems.push(
        `${a.image}: ${a.kind} ${a.descriptor.digest} is in index.json but not in the bundle's lock`,
      );
    }
  }
  return problems;
}
