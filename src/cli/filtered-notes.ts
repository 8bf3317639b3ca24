import type { FilteredImage } from "../plan/filtered-images.js";
import type { Log } from "./log.js";

/**
 * Tells, before any push, which images will change digest at a registry that
 * refuses sparse indexes: one note for the filtered indexes, one warning per
 * image pinned by such an index digest.
 */
export function tellFiltered(
  filtered: readonly FilteredImage[],
  say: (line: string) => void,
  log: Log,
): void {
  if (filtered.length === 0) return;
  const named = filtered
    .slice(0, 3)
    .map((f) => `${f.reference} [${f.platforms.join(", ")} of ${f.platforms.length + f.leftOut.length}]`)
    .join(", ");
  const more = filtered.length > 3 ? ` and ${filtered.length - 3} more` : "";
  say(
    `note: ${filtered.length === 1 ? "1 image is a multi-platform index" : `${filtered.length} images are multi-platform indexes`} carried for some platforms only (${named}${more}): at a registry that refuses sparse indexes (Distribution 2.x as registry:2, Harbor) their tag will point to a new index of the carried platforms, with a new digest (push-bundle writes a digest map); platform manifests keep their digests. "platforms: all" on an entry keeps its digest everywhere`,
  );
  for (const f of filtered.filter((x) => x.pinnedByDigest)) {
    log.warn(
      `${f.reference} is pinned by its index digest with a platform filter: at a registry that refuses sparse indexes that digest will not resolve; set "platforms: all" on this entry, or pin a platform manifest's digest`,
    );
  }
}
