import semver from "semver";
import { AirlockError } from "../errors.js";
import type { ImageEntry } from "../imagelist/types.js";
import type { Resolver } from "./resolver.js";

/** A tag and/or digest to resolve for an entry. */
export interface Target {
  tag?: string;
  digest?: string;
}

/** The tags or digests an entry names, listing the repository's tags when a pattern asks for it. */
export async function expandTargets(entry: ImageEntry, resolver: Resolver): Promise<Target[]> {
  const s = entry.selector;
  switch (s.kind) {
    case "tag":
      return [s.digest === undefined ? { tag: s.tag } : { tag: s.tag, digest: s.digest }];
    case "digest":
      return [{ digest: s.digest }];
    case "tags":
      return [...new Set(s.tags)].sort().map((tag) => ({ tag }));
    case "regex": {
      const pattern = new RegExp(s.pattern);
      return await matchingTags(entry, resolver, (t) => pattern.test(t), `match /${s.pattern}/`);
    }
    case "semver":
      return await matchingTags(
        entry,
        resolver,
        (t) => semverMatches(t, s.range),
        `satisfy semver "${s.range}"`,
      );
  }
}

/** "1.2.3" and "v1.2.3" are versions; "latest" and "1.2" are not. */
function semverMatches(tag: string, range: string): boolean {
  const version = semver.valid(semver.clean(tag) ?? "");
  return version !== null && semver.satisfies(version, range);
}

async function matchingTags(
  entry: ImageEntry,
  resolver: Resolver,
  keep: (tag: string) => boolean,
  what: string,
): Promise<Target[]> {
  const all = await resolver.tags(entry.registry, entry.repository);
  const tags = all.filter(keep).sort();
  if (tags.length === 0) {
    throw new AirlockError(
      "ERR_NOT_FOUND",
      `none of the ${all.length} tags of ${entry.registry}/${entry.repository} ${what}`,
    );
  }
  return tags.map((tag) => ({ tag }));
}
