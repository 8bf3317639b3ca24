import { createHash } from "node:crypto";
import { attachedKey } from "../imagelist/attached.js";
import type { ImageEntry, ImageList, TagSelector } from "../imagelist/types.js";

function selectorText(selector: TagSelector): string {
  switch (selector.kind) {
    case "tag":
      return selector.digest === undefined ? `:${selector.tag}` : `:${selector.tag}@${selector.digest}`;
    case "digest":
      return `@${selector.digest}`;
    case "tags":
      return ` tags=${[...selector.tags].sort().join(",")}`;
    case "regex":
      return ` tag-regex=${JSON.stringify(selector.pattern)}`;
    case "semver":
      return ` semver=${JSON.stringify(selector.range)}`;
  }
}

/**
 * The normalised entry as one line, e.g.
 * `docker.io/library/nginx:1.27 platforms=linux/amd64,linux/arm64`. Two
 * entries with the same key ask for the same content.
 */
export function entryKey(entry: ImageEntry): string {
  const platforms = entry.platforms === "all" ? "all" : entry.platforms.join(",");
  const optional = entry.optionalPlatforms ? " optional-platforms" : "";
  return `${entry.registry}/${entry.repository}${selectorText(entry.selector)} platforms=${platforms}${optional}${attachedKey(entry.attached)}`;
}

/** sha256 over the sorted entry keys. */
export function listHash(list: Pick<ImageList, "images">): string {
  const keys = [...new Set(list.images.map(entryKey))].sort();
  return "sha256:" + createHash("sha256").update(keys.join("\n")).digest("hex");
}
