import { DELTA_MARKER_NAME } from "../store/bundle-index.js";
import type { BundleReader } from "../store/bundle-reader.js";

/**
 * True when the bundle is a delta (it carries airlock-delta.json), without reading the marker:
 * apart from delta-marker.ts so a push of a full bundle never loads the marker's schema check.
 */
export function isDeltaBundle(reader: BundleReader): boolean {
  return reader.index.metadata.has(DELTA_MARKER_NAME);
}
