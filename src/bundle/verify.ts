import { AirlockError, messageOf } from "../errors.js";
import { isIndexType, isImageManifestType } from "../oci/media-types.js";
import { parseManifest } from "../oci/manifest.js";
import type { Descriptor } from "../oci/types.js";
import type { Lock, LockedImage } from "../plan/lock-types.js";
import { bundleLock } from "./bundle-lock.js";
import { attachedProblems } from "./verify-attached.js";
import { bundleDeltaMarker } from "./delta-marker.js";
import type { DeltaBase, DeltaOmitted } from "../plan/delta-types.js";
import { BundleReader } from "../store/bundle-reader.js";
import { HashPool } from "./hash-pool.js";
import type { IndexOptions } from "../store/bundle-index.js";
import { withLinkedSignal } from "../util/linked-signal.js";

export interface VerifyReport {
  file: string;
  images: number;
  /** Manifests and indexes index.json reaches. */
  manifests: number;
  /** The other files under blobs/: configs and layers. */
  blobs: number;
  /** index.json's entries for what is attached to the images (cosign's tags, referrers). */
  attached: number;
  bytes: number;
  /** Empty when the bundle is sound. */
  problems: string[];
  /** A delta bundle: its bases, and the configs and layers it needs the target to hold. */
  delta?: DeltaNeeds;
}

/** What a delta bundle needs from the target: the blobs it leaves out, each with the base that holds it. */
export interface DeltaNeeds {
  bases: DeltaBase[];
  needs: DeltaOmitted[];
  bytes: number;
}

/**
 * Checks a bundle offline, streaming from the tar: a valid OCI layout with
 * safe entry names; every blob's size and sha256; every manifest reachable
 * from index.json complete (a sparse index may lack only what its lock left
 * out); what is attached to the images (attached to manifests the bundle
 * holds, see verify-attached.ts); and agreement with the bundled lock.
 */
export async function verifyBundle(file: string, options: IndexOptions = {}): Promise<VerifyReport> {
  return await withLinkedSignal(options, (linked) => runVerify(file, linked));
}

async function runVerify(file: string, options: IndexOptions): Promise<VerifyReport> {
  const pool = new HashPool();
  let reader: BundleReader;
  try {
    reader = await BundleReader.open(file, { ...options, verify: true, hashPool: pool });
  } finally {
    await pool.close();
  }
  const problems = [...reader.index.corrupt];
  const marker = bundleDeltaMarker(reader);
  const omitted = new Set(marker?.omitted.map((o) => o.digest));
  const walk: GraphWalk = { problems, manifests: new Set(), omitted };
  const layout = reader.index.metadata.get("oci-layout")?.toString("utf8");
  if (layout === undefined || !/"imageLayoutVersion"\s*:\s*"1\.0\.0"/.test(layout)) {
    problems.push("oci-layout is missing or not version 1.0.0");
  }
  const lock = bundleLock(reader);
  const refs = reader.refs();
  const required = lock === undefined ? undefined : requiredChildren(lock);
  for (const ref of refs) {
    await checkGraph(reader, ref.descriptor, ref.reference, required?.get(ref.reference), walk);
  }
  const attached = reader.attached();
  for (const a of attached) {
    const where = `${a.image}: ${a.kind} ${a.descriptor.digest}`;
    await checkGraph(reader, a.descriptor, where, undefined, walk);
  }
  const named = new Set(refs.map((r) => r.reference));
  problems.push(...(await attachedProblems(reader, attached, named, walk.manifests, lock)));
  if (lock !== undefined) problems.push(...lockAgreement(lock, refs));
  if (refs.length === 0) problems.push("index.json names no image (no org.opencontainers.image.ref.name)");
  const bytes = [...reader.index.blobs.values()].reduce((n, b) => n + b.size, 0);
  const manifests = walk.manifests.size;
  return {
    file,
    images: refs.length,
    manifests,
    blobs: reader.index.blobs.size - manifests,
    attached: attached.length,
    bytes,
    problems: dedupe(problems),
    ...(marker !== undefined
      ? { delta: { bases: marker.bases, needs: marker.omitted, bytes: marker.bytesOmitted } }
      : {}),
  };
}

/**
 * Per reference, the index children the lock selected: a sparse index may
 * lack any other child, never these. Without a lock every child is required.
 */
function requiredChildren(lock: Lock): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const image of lock.entries.flatMap((e) => e.images)) {
    const digests = [...image.platforms, ...(image.attestations ?? [])].map((p) => p.digest);
    out.set(image.reference, new Set(digests));
  }
  return out;
}

/** What walking the graphs finds: problems, and every manifest read whole. */
interface GraphWalk {
  problems: string[];
  manifests: Set<string>;
  /** A delta's left-out configs and layers: absent by design, held by the target. */
  omitted: Set<string>;
}

async function checkGraph(
  reader: BundleReader,
  descriptor: Descriptor,
  where: string,
  required: Set<string> | undefined,
  walk: GraphWalk,
  isChild = false,
): Promise<void> {
  const at = reader.index.blobs.get(descriptor.digest);
  if (at === undefined) {
    const leftOut = !isChild && walk.omitted.has(descriptor.digest);
    const mayLack = leftOut || (isChild && required !== undefined && !required.has(descriptor.digest));
    if (!mayLack) walk.problems.push(`${where}: ${descriptor.digest} is not in the bundle`);
    return;
  }
  if (at.size !== descriptor.size) {
    walk.problems.push(
      `${where}: ${descriptor.digest} is ${at.size} bytes, its descriptor says ${descriptor.size}`,
    );
    return;
  }
  if (!isIndexType(descriptor.mediaType) && !isImageManifestType(descriptor.mediaType)) return;
  let parsed;
  try {
    parsed = parseManifest(
      await reader.readBlob(descriptor),
      descriptor.mediaType,
      `${where}: manifest ${descriptor.digest}`,
    );
  } catch (err) {
    walk.problems.push(err instanceof AirlockError ? err.message : `${where}: ${messageOf(err)}`);
    return;
  }
  walk.manifests.add(descriptor.digest);
  if (parsed.kind === "index") {
    for (const child of parsed.index.manifests) await checkGraph(reader, child, where, required, walk, true);
    return;
  }
  for (const blob of [parsed.manifest.config, ...parsed.manifest.layers]) {
    await checkGraph(reader, blob, where, required, walk, false);
  }
}

/** Every locked image named in index.json with the same descriptor, and nothing else named. */
function lockAgreement(lock: Lock, refs: { reference: string; descriptor: Descriptor }[]): string[] {
  const problems: string[] = [];
  const named = new Map(refs.map((r) => [r.reference, r.descriptor]));
  const images = lock.entries.flatMap((e) => e.images);
  for (const image of images) {
    const d = named.get(image.reference);
    if (d === undefined) problems.push(`${image.reference}: in the bundle's lock but not in index.json`);
    else if (d.digest !== image.digest || d.mediaType !== image.mediaType || d.size !== image.size) {
      problems.push(`${image.reference}: index.json says ${d.digest}, the lock says ${image.digest}`);
    }
  }
  const locked = new Set(images.map((i: LockedImage) => i.reference));
  for (const r of refs)
    if (!locked.has(r.reference)) problems.push(`${r.reference}: in index.json but not in the lock`);
  return problems;
}

function dedupe(lines: string[]): string[] {
  return [...new Set(lines)];
}
