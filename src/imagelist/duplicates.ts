/** Two entries that ask for exactly the same content are a mistake in the list. */

import { attachedKey } from "./attached.js";
import type { ReadEntry } from "./context.js";
import { formatPath } from "./paths.js";
import type { Reporter } from "./problems.js";
import type { ImageEntry, TagSelector } from "./types.js";

/** Reports every entry identical to an earlier one (same image, selector, platforms and options). */
export function reportDuplicates(entries: readonly ReadEntry[], reporter: Reporter, showPath = true): void {
  const first = new Map<string, ReadEntry>();
  for (const read of entries) {
    const key = contentKey(read.entry);
    const earlier = first.get(key);
    if (earlier === undefined) {
      first.set(key, read);
      continue;
    }
    const line = earlier.entry.position.line;
    const where = !showPath
      ? `line ${line}`
      : line === 0
        ? formatPath(earlier.path)
        : `${formatPath(earlier.path)} (line ${line})`;
    reporter.problem(read.path, `duplicate entry: the same image as ${where}; remove one`);
  }
}

function contentKey(e: ImageEntry): string {
  const platforms = e.platforms === "all" ? "all" : e.platforms.join(",");
  return `${e.registry}/${e.repository} ${selectorKey(e.selector)} ${platforms} ${e.optionalPlatforms}${attachedKey(e.attached)}`;
}

function selectorKey(s: TagSelector): string {
  switch (s.kind) {
    case "tag":
      return `tag=${s.tag}@${s.digest ?? ""}`;
    case "digest":
      return `digest=${s.digest}`;
    case "tags":
      return `tags=${[...s.tags].sort().join(",")}`;
    case "regex":
      return `regex=${JSON.stringify(s.pattern)}`;
    case "semver":
      return `semver=${JSON.stringify(s.range)}`;
  }
}
