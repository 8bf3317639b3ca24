/** One item of airlock.yaml's `images` → an ImageEntry, with every problem in it reported. */

import { isRecord, type ReadContext, type ReadEntry } from "./context.js";
import type { Path } from "./paths.js";
import { normalizePlatforms } from "./platforms.js";
import {
  checkReference,
  checkRegex,
  checkSemverRange,
  checkTags,
  referenceSelector,
  type WrittenReference,
} from "./selectors.js";
import { joinWords } from "../util/suggest.js";
import type { ImageEntry, TagSelector } from "./types.js";

const SELECTOR_KEYS = ["tags", "tagRegex", "semver"] as const;
const ONE_WAY = 'choose tags one way only: a tag or digest in "ref", "tags", "tagRegex" or "semver"';

/** Reads `images[i]`; undefined when it has a problem (reported) or a wrong shape (reported by the schema). */
export function readImage(
  item: unknown,
  path: Path,
  platforms: string[] | "all",
  ctx: ReadContext,
): ReadEntry | undefined {
  const before = ctx.reporter.problems.length;
  const entry =
    typeof item === "string"
      ? readString(item, path, platforms, ctx)
      : readMapping(item, path, platforms, ctx);
  return entry !== undefined && ctx.reporter.problems.length === before ? { entry, path } : undefined;
}

function readString(
  text: string,
  path: Path,
  platforms: string[] | "all",
  ctx: ReadContext,
): ImageEntry | undefined {
  const ref = checkReference(text, path, ctx.reporter);
  if (ref === undefined) return undefined;
  return makeEntry(text, path, ref, referenceSelector(ref), platforms, false, ctx);
}

function readMapping(
  item: unknown,
  path: Path,
  defaults: string[] | "all",
  ctx: ReadContext,
): ImageEntry | undefined {
  if (!isRecord(item) || typeof item.ref !== "string" || item.ref === "") return undefined;
  const ref = checkReference(item.ref, [...path, "ref"], ctx.reporter);
  const selector = readSelector(item, path, ref, ctx);
  const platforms =
    item.platforms === undefined
      ? defaults
      : normalizePlatforms(item.platforms, [...path, "platforms"], ctx.reporter);
  if (ref === undefined || selector === undefined || platforms === undefined) return undefined;
  return makeEntry(item.ref, path, ref, selector, platforms, item.optionalPlatforms === true, ctx);
}

/** The entry's selector; reports conflicts between selectors and checks the one given. */
function readSelector(
  item: Record<string, unknown>,
  path: Path,
  ref: WrittenReference | undefined,
  ctx: ReadContext,
): TagSelector | undefined {
  const given = Object.keys(item).filter((k) => (SELECTOR_KEYS as readonly string[]).includes(k));
  const tags = "tags" in item ? checkTags(item.tags, [...path, "tags"], ctx.reporter) : undefined;
  const pattern =
    "tagRegex" in item ? checkRegex(item.tagRegex, [...path, "tagRegex"], ctx.reporter) : undefined;
  const range =
    "semver" in item ? checkSemverRange(item.semver, [...path, "semver"], ctx.reporter) : undefined;
  const ways = [
    ...(ref?.explicit === true ? ['a tag or digest in "ref"'] : []),
    ...given.map((k) => JSON.stringify(k)),
  ];
  if (ways.length > 1) {
    const second = given[ref?.explicit === true ? 0 : 1] ?? "ref";
    ctx.reporter.problem([...path, second], `${joinWords(ways, "and")} conflict; ${ONE_WAY}`, "key");
    return undefined;
  }
  if (tags !== undefined) return { kind: "tags", tags };
  if (pattern !== undefined) return { kind: "regex", pattern };
  if (range !== undefined) return { kind: "semver", range };
  return given.length === 0 && ref !== undefined ? referenceSelector(ref) : undefined;
}

/** Builds the normalised entry. */
export function makeEntry(
  source: string,
  path: Path,
  ref: { registry: string; repository: string },
  selector: TagSelector,
  platforms: readonly string[] | "all",
  optionalPlatforms: boolean,
  ctx: ReadContext,
): ImageEntry {
  return {
    source,
    position: ctx.reporter.map.position(path),
    registry: ref.registry,
    repository: ref.repository,
    selector,
    platforms: platforms === "all" ? "all" : [...platforms],
    optionalPlatforms,
  };
}
