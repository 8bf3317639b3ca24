import { stat } from "node:fs/promises";
import { bundleLock } from "../bundle/bundle-lock.js";
import type { LockedArtifact } from "../plan/lock-types.js";
import { bundleDeltaMarker } from "../bundle/delta-marker.js";
import type { DeltaBase } from "../plan/delta-types.js";
import { BundleReader } from "../store/bundle-reader.js";
import type { AttachedRef } from "../store/layout-attached.js";
import { bundleManifestDigests } from "../bundle/manifest-set.js";
import { verifyBundle, type VerifyReport } from "../bundle/verify.js";
import { AirlockError } from "../errors.js";
import { reachedTotal, throttleEvents } from "../util/throttle.js";

export interface BundleSummaryImage {
  reference: string;
  digest: string;
  mediaType: string;
  /** From the bundled lock; empty for a bundle without one. */
  platforms: { platform: string; digest: string; bytes: number }[];
  /** Bytes of everything the image reaches (shared blobs counted for each image). */
  bytes: number;
  /** What travels attached to the image (cosign's tags, referrers), from index.json; sizes from the bundled lock. */
  attached: BundleSummaryAttached[];
}

/** A signature, attestation, SBOM or referrer carried with an image. */
export interface BundleSummaryAttached {
  /** "cosign-sig", "cosign-att", "cosign-sbom" or "referrer". */
  kind: string;
  /** The manifest it is attached to. */
  subject: string;
  digest: string;
  mediaType: string;
  /** cosign's tag, for cosign's kinds. */
  tag?: string;
  artifactType?: string;
  /** Its manifest, config and layers (0 beyond the manifest for a bundle without a lock). */
  bytes: number;
}

export interface BundleSummary {
  file: string;
  images: BundleSummaryImage[];
  /** Manifests and indexes index.json reaches. */
  manifests: number;
  /** The other files under blobs/: configs and layers. */
  blobs: number;
  bytes: number;
  /** A delta bundle: the bases it was made against, and the configs and layers it leaves out (the bytes it saves). */
  delta?: { bases: DeltaBase[]; blobsOmitted: number; bytesOmitted: number };
}

/** What a bundle holds: images, tags, platforms and sizes, from index.json and the bundled lock. */
export async function inspectBundle(file: string): Promise<BundleSummary> {
  const reader = await BundleReader.open(file);
  const lock = bundleLock(reader);
  const locked = new Map((lock?.entries.flatMap((e) => e.images) ?? []).map((i) => [i.reference, i]));
  const attached = reader.attached();
  const images = reader.refs().map((ref): BundleSummaryImage => {
    const image = locked.get(ref.reference);
    const platforms = (image?.platforms ?? []).map((p) => ({
      platform: p.platform,
      digest: p.digest,
      bytes: p.size + p.config.size + p.layers.reduce((n, l) => n + l.size, 0),
    }));
    const bytes = ref.descriptor.size + platforms.reduce((n, p) => n + p.bytes, 0);
    return {
      reference: ref.reference,
      digest: ref.descriptor.digest,
      mediaType: ref.descriptor.mediaType,
      platforms,
      bytes,
      attached: attached
        .filter((a) => a.image === ref.reference)
        .map((a) =>
          summaryAttached(
            a,
            image?.attached?.find((l) => l.digest === a.descriptor.digest),
          ),
        ),
    };
  });
  const bytes = [...reader.index.blobs.values()].reduce((n, b) => n + b.size, 0);
  const manifests = (await bundleManifestDigests(reader)).size;
  const marker = bundleDeltaMarker(reader);
  const delta =
    marker === undefined
      ? {}
      : {
          delta: {
            bases: marker.bases,
            blobsOmitted: marker.omitted.length,
            bytesOmitted: marker.bytesOmitted,
          },
        };
  return { file, images, manifests, blobs: reader.index.blobs.size - manifests, bytes, ...delta };
}

function summaryAttached(a: AttachedRef, locked: LockedArtifact | undefined): BundleSummaryAttached {
  const { digest, mediaType, size } = a.descriptor;
  const blobs = locked === undefined ? 0 : locked.config.size + locked.layers.reduce((n, l) => n + l.size, 0);
  const artifactType = a.descriptor.artifactType ?? locked?.artifactType;
  return {
    kind: a.kind,
    subject: a.subject,
    digest,
    mediaType,
    ...(a.tag !== undefined ? { tag: a.tag } : {}),
    ...(artifactType !== undefined ? { artifactType } : {}),
    bytes: size + blobs,
  };
}

export interface VerifyBundlesOptions {
  signal?: AbortSignal;
  /** Bytes read and checked, as they go. */
  onBytes?: (n: number) => void;
}

/**
 * verify-bundle's running count: bytes of the bundles (their whole files)
 * checked so far, at most ten times a second, ending at the total.
 */
export interface VerifyEvent {
  type: "bytes";
  bytesDone: number;
  bytesTotal: number;
}

export interface VerifyBundlesOptions {
  signal?: AbortSignal;
  onEvent?: (event: VerifyEvent) => void;
}

/** verify-bundle for several files; throws ERR_BUNDLE_CORRUPT naming every problem when any bundle fails. */
export async function verifyBundles(
  files: string[],
  options: VerifyBundlesOptions = {},
): Promise<VerifyReport[]> {
  const events = throttleEvents(options.onEvent, { frequent: () => true, final: reachedTotal });
  const bytesTotal = (await Promise.all(files.map(sizeOrZero))).reduce((n, s) => n + s, 0);
  let bytesDone = 0;
  const onBytes = (n: number): void =>
    events.emit({ type: "bytes", bytesDone: (bytesDone += n), bytesTotal });
  const reports: VerifyReport[] = [];
  try {
    for (const file of files) reports.push(await verifyBundle(file, { signal: options.signal, onBytes }));
  } finally {
    events.flush();
  }
  const problems = reports.flatMap((r) => r.problems.map((p) => `${r.file}: ${p}`));
  if (problems.length > 0) {
    const error = new AirlockError("ERR_BUNDLE_CORRUPT", problems.join("\n"));
    throw Object.assign(error, { reports });
  }
  return reports;
}

/** A file's size; 0 when it cannot be read (verifyBundle then names it). */
async function sizeOrZero(file: string): Promise<number> {
  return await stat(file).then(
    (s) => s.size,
    () => 0,
  );
}
