/**
 * A delta bundle is a filter on which blobs go into the tar: every manifest
 * and index of the lock, and only the configs and layers no base holds. The
 * left-out ones are named in the marker, with the base that holds each.
 */
import { createHash } from "node:crypto";
import {
  DELTA_VERSION,
  type DeltaBase,
  type DeltaBaseContent,
  type DeltaMarker,
  type DeltaOmitted,
} from "../plan/delta-types.js";
import type { BundleContent } from "./content.js";

export interface DeltaPlan {
  content: BundleContent;
  marker: DeltaMarker;
}

/** The content without the blobs a base holds, and the marker naming them. */
export function planDelta(content: BundleContent, bases: readonly DeltaBaseContent[]): DeltaPlan {
  const omitted: DeltaOmitted[] = [];
  const blobs = content.blobs.filter((b) => {
    if (b.kind === "manifest") return true;
    const base = bases.findIndex((s) => s.held.has(b.digest));
    if (base < 0) return true;
    const at = bases[base]?.held.get(b.digest);
    omitted.push({
      digest: b.digest,
      size: b.size,
      base,
      ...(at?.repository !== undefined ? { repository: at.repository } : {}),
      ...(at?.source !== undefined ? { source: at.source } : {}),
    });
    return false;
  });
  const bytesOmitted = omitted.reduce((n, o) => n + o.size, 0);
  const marker: DeltaMarker = {
    deltaVersion: DELTA_VERSION,
    bases: bases.map(({ held: _held, ...base }) => base),
    omitted,
    bytesOmitted,
  };
  return { content: { ...content, blobs, bytes: content.bytes - bytesOmitted }, marker };
}

/** Blobs of the content each base holds (a base sharing none is most likely the wrong file). */
export function sharedPerBase(content: BundleContent, bases: readonly DeltaBaseContent[]): number[] {
  return bases.map((s) => content.blobs.filter((b) => b.kind === "blob" && s.held.has(b.digest)).length);
}

/** What create-bundle tells of a delta: its bases (with the blobs of the lock each holds) and what it left out. */
export interface BundleDelta {
  bases: (DeltaBase & { shared: number })[];
  /** Configs and layers left out, across parts. */
  blobsOmitted: number;
  /** Their bytes: what the delta saves against a full bundle. */
  bytesOmitted: number;
}

export function summarizeDelta(full: BundleContent, bases: readonly DeltaBaseContent[]): BundleDelta {
  const { marker } = planDelta(full, bases);
  const shared = sharedPerBase(full, bases);
  return {
    bases: marker.bases.map((b, i) => ({ ...b, shared: shared[i] ?? 0 })),
    blobsOmitted: marker.omitted.length,
    bytesOmitted: marker.bytesOmitted,
  };
}

/** bundles/x-<hash>.tar → bundles/x-<hash>-delta-<first 8 hex over the bases' sha256>.tar */
export function deltaBundlePath(fullPath: string, bases: readonly DeltaBase[]): string {
  const stem = fullPath.endsWith(".tar") ? fullPath.slice(0, -4) : fullPath;
  const hash = createHash("sha256")
    .update(bases.map((b) => b.sha256).join("\n"))
    .digest("hex")
    .slice(0, 8);
  return `${stem}-delta-${hash}.tar`;
}
