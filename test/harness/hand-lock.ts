/**
 * Locks built by hand for pure tests (split, delta sizes): digests are
 * numbers written as sha256 hex, one platform per image.
 */
import type { Lock, LockedImage } from "../../src/plan/lock-types.js";
import { computeTotals } from "../../src/plan/totals.js";

/** `n` as a sha256 digest. */
export const digestOf = (n: number): string => "sha256:" + n.toString(16).padStart(64, "0");

/** A layer descriptor: digest `n`, `size` bytes. */
export const layerOf = (n: number, size: number): { digest: string; size: number; mediaType: string } => ({
  digest: digestOf(n),
  size,
  mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
});

export interface HandImage {
  /** The manifest's digest number; the config is `manifest + 1`. */
  manifest: number;
  manifestSize: number;
  configSize: number;
  /** Each layer's digest number and size. */
  layers: { n: number; size: number }[];
}

/** `r.example/NAME:v1`, one linux/amd64 platform. */
export function handImage(name: string, image: HandImage): LockedImage {
  const manifest = {
    digest: digestOf(image.manifest),
    mediaType: "application/vnd.oci.image.manifest.v1+json",
  };
  return {
    reference: `r.example/${name}:v1`,
    tag: "v1",
    ...manifest,
    size: image.manifestSize,
    platforms: [
      {
        platform: "linux/amd64",
        ...manifest,
        size: image.manifestSize,
        config: layerOf(image.manifest + 1, image.configSize),
        layers: image.layers.map((l) => layerOf(l.n, l.size)),
      },
    ],
  };
}

/** A lock of one entry per image. */
export function handLock(...images: LockedImage[]): Lock {
  const entries = images.map((i) => ({ key: i.reference, source: i.reference, images: [i] }));
  return { lockVersion: 1, listHash: digestOf(999), entries, totals: computeTotals(entries) };
}
