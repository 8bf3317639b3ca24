/**
 * What is attached to an image: cosign's `.sig`/`.att`/`.sbom` tags and OCI 1.1
 * referrers of its top manifest and of each selected platform, then of those
 * artifacts (a signature on an SBOM), to a bounded depth.
 */
import { CARRY_ALL } from "../imagelist/attached.js";
import type { AttachedPolicy, ImageEntry } from "../imagelist/types.js";
import { COSIGN_SUFFIXES, cosignTag } from "../oci/attached-tags.js";
import { parseManifest } from "../oci/manifest.js";
import type { Descriptor } from "../oci/types.js";
import type { AttachedKind, LockedArtifact, LockedBlob } from "./lock-types.js";
import type { ResolvedBytes, Resolver } from "./resolver.js";

/** Attached to the image (1), to what is attached to it (2), and once more (3). */
export const ATTACHED_DEPTH = 3;

interface Found {
  kind: AttachedKind;
  subject: string;
  tag?: string;
  artifactType?: string;
  bytes: ResolvedBytes;
}

/** Everything attached to `subjects` (and to what is attached, to ATTACHED_DEPTH), each digest once. */
export async function attachedOf(
  entry: ImageEntry,
  subjects: string[],
  resolver: Resolver,
): Promise<LockedArtifact[]> {
  const policy = entry.attached ?? CARRY_ALL;
  const seen = new Set(subjects);
  const out: LockedArtifact[] = [];
  let level = [...new Set(subjects)];
  for (let depth = 1; depth <= ATTACHED_DEPTH && level.length > 0; depth++) {
    const next: string[] = [];
    for (const subject of level) {
      for (const found of await attachedTo(entry, policy, subject, resolver)) {
        if (seen.has(found.bytes.digest)) continue;
        seen.add(found.bytes.digest);
        const artifact = lockedArtifact(found);
        if (artifact === undefined) continue;
        out.push(artifact);
        next.push(artifact.digest);
      }
    }
    level = next;
  }
  return out;
}

async function attachedTo(
  entry: ImageEntry,
  policy: AttachedPolicy,
  subject: string,
  resolver: Resolver,
): Promise<Found[]> {
  const found: Found[] = [];
  if (policy.signatures && resolver.manifestIfTagged !== undefined) {
    for (const suffix of COSIGN_SUFFIXES) {
      const tag = cosignTag(subject, suffix);
      const bytes = await resolver.manifestIfTagged(entry.registry, entry.repository, tag);
      if (bytes !== undefined) found.push({ kind: `cosign-${suffix}`, subject, tag, bytes });
    }
  }
  if (policy.referrers && resolver.referrers !== undefined) {
    for (const d of await referrersOf(entry, policy, subject, resolver)) {
      const bytes = await resolver.manifest(entry.registry, entry.repository, d.digest);
      const artifactType = d.artifactType ?? artifactTypeOf(bytes);
      found.push({ kind: "referrer", subject, bytes, ...(artifactType ? { artifactType } : {}) });
    }
  }
  return found;
}

async function referrersOf(
  entry: ImageEntry,
  policy: AttachedPolicy,
  subject: string,
  resolver: Resolver,
): Promise<Descriptor[]> {
  const types = policy.artifactTypes;
  const one = types?.length === 1 ? types[0] : undefined;
  const listed = (await resolver.referrers?.(entry.registry, entry.repository, subject, one)) ?? [];
  return types === undefined ? listed : listed.filter((d) => types.includes(d.artifactType ?? ""));
}

/** The manifest's `artifactType`, else its config's media type (as the OCI 1.1 spec says). */
function artifactTypeOf(bytes: ResolvedBytes): string | undefined {
  try {
    const json = JSON.parse(bytes.bytes.toString("utf8")) as {
      artifactType?: unknown;
      config?: { mediaType?: unknown };
    };
    if (typeof json.artifactType === "string") return json.artifactType;
    return typeof json.config?.mediaType === "string" ? json.config.mediaType : undefined;
  } catch {
    return undefined;
  }
}

/** The artifact as the lock records it; an attached index (rare) is left out for now. */
function lockedArtifact(found: Found): LockedArtifact | undefined {
  const { bytes } = found;
  const parsed = parseManifest(bytes.bytes, bytes.mediaType, `attached manifest ${bytes.digest}`);
  if (parsed.kind !== "image") return undefined;
  const blob = (d: Descriptor): LockedBlob => ({ digest: d.digest, size: d.size, mediaType: d.mediaType });
  return {
    kind: found.kind,
    subject: found.subject,
    ...(found.tag !== undefined ? { tag: found.tag } : {}),
    digest: bytes.digest,
    mediaType: bytes.mediaType,
    size: bytes.size,
    ...(found.artifactType !== undefined ? { artifactType: found.artifactType } : {}),
    config: blob(parsed.manifest.config),
    layers: parsed.manifest.layers.map(blob),
  };
}
