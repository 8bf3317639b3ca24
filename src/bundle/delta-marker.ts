import { decodeDeltaMarker } from "../plan/delta-file.js";
import type { DeltaMarker } from "../plan/delta-types.js";
import { DELTA_MARKER_NAME } from "../store/bundle-index.js";
import type { BundleReader } from "../store/bundle-reader.js";

/** True when the bundle is a delta (it carries airlock-delta.json), without reading the marker. */
export function isDeltaBundle(reader: BundleReader): boolean {
  return reader.index.metadata.has(DELTA_MARKER_NAME);
}

/**
 * A delta bundle's marker (airlock-delta.json): its bases and the blobs it
 * leaves out; undefined for a full bundle.
 * @throws AirlockError ERR_BUNDLE_CORRUPT when the marker is not a valid one.
 */
export function bundleDeltaMarker(reader: BundleReader): DeltaMarker | undefined {
  const bytes = reader.index.metadata.get(DELTA_MARKER_NAME);
  return bytes === undefined
    ? undefined
    : decodeDeltaMarker(bytes.toString("utf8"), `${reader.file}:${DELTA_MARKER_NAME}`);
}
