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

/** Where attached content is looked for, and which: an image list entry, or any repository and policy. */
export type AttachedSource = Pick<ImageEntry, "registry" | "repository" | "attached">;

/** Everything attached to `subjects` (and to what is attached, to ATTACHED_DEPTH), each digest once. */
export async function attachedOf(
  entry: AttachedSource,
  subjects: string[],
  resolver: Resolver,
): Promise<LockedArtifact[]> {
  const policy = entry.attached ?? CARRY_ALL;
  const seen = new Set(subjects);
  const out: LockedArtifact[] = [];
  let level = [...new Set(subjects)];
  for (let depth = 1; depth <= ATTACHED_DEPTH && level.length > 0; depth++) {
    const next: string[] = [];
    const answers = await Promise.all(level.map((s) => attachedTo(entry, policy, s, resolver)));
    for (const answer of answers) {
      for (const found of answer) {
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
  entry: AttachedSource,
  policy: AttachedPolicy,
  subject: string,
  resolver: Resolver,
): Promise<Found[]> {
  const [tagged, referrers] = await Promise.all([
    policy.signatures ? cosignTagged(entry, subject, resolver) : [],
    policy.referrers ? referrersFound(entry, policy, subject, resolver) : [],
  ]);
  return [...tagged, ...referrers];
}

async function cosignTagged(entry: AttachedSource, subject: string, resolver: Resolver): Promise<Found[]> {
  const lookup = resolver.manifestIfTagged?.bind(resolver);
  if (lookup === undefined) return [];
  const found = await Promise.all(
    COSIGN_SUFFIXES.map(async (suffix): Promise<Found | undefined> => {
      const tag = cosignTag(subject, suffix);
      const bytes = await lookup(entry.registry, entry.repository, tag);
      return bytes === undefined ? undefined : { kind: `cosign-${suffix}`, subject, tag, bytes };
    }),
  );
  return found.filter((f): f is Found => f !== undefined);
}

async function referrersFound(
  entry: AttachedSource,
  policy: AttachedPolicy,
  subject: string,
  resolver: Resolver,
): Promise<Found[]> {
  const listed = await referrersOf(entry, policy, subject, resolver);
  return await Promise.all(
    listed.map(async (d): Promise<Found> => {
      const bytes = await resolver.manifest(entry.registry, entry.repository, d.digest);
      const artifactType = d.artifactType ?? artifactTypeOf(bytes);
      return { kind: "referrer", subject, bytes, ...(artifactType ? { artifactType } : {}) };
    }),
  );
}

async function referrersOf(
  entry: AttachedSource,
  policy: AttachedPolicy,
  subject: string,
  resolver: Resolver,
): Promise<Descriptor[]> {
  const types = policy.artifactTypes;
  const one = types?.length === 1 ? types[0] : undefined;
  if (resolver.referrers === undefined) return [];
  const listed = await resolver.referrers(entry.registry, entry.repository, subject, one);
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
