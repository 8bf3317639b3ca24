/** What create-bundle tells of its downloads, and where it downloads from. */
import type { ImageSource } from "../store/image-store.js";
import type { BundleBlob } from "./content.js";

export interface FetchProgress {
  /** Bytes of the bundle's blobs at hand: in the cache before the run, or arrived since. */
  bytesDone: number;
  bytesTotal: number;
  /** Downloads in flight. */
  active: number;
  /** Blobs already cached before this run. */
  cached: number;
  downloaded: number;
}

/** The source (a registry repository) a blob of the bundle is read from. */
export type SourceOf = (blob: BundleBlob) => Promise<ImageSource>;
