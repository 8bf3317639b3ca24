/**
 * The checks every input format shares: references, tags, tag regexes and
 * semver ranges, each reporting at the node it came from.
 */

import semver from "semver";
import { AirlockError } from "../errors.js";
import { findTagProblem } from "../ref/grammar.js";
import { parseReference, type Reference } from "../ref/reference.js";
import type { Path } from "./paths.js";
import type { Anchor, Reporter } from "./problems.js";
import type { TagSelector } from "./types.js";

/** A parsed reference and whether it named a tag or digest itself (else the tag is the default "latest"). */
export interface WrittenReference extends Reference {
  explicit: boolean;
}

/** Parses a reference, reporting ERR_REF_INVALID's message at `path`; undefined when it is invalid. */
export function checkReference(
  text: string,
  path: Path,
  reporter: Reporter,
  anchor: Anchor = "value",
): WrittenReference | undefined {
  try {
    const ref = parseReference(text);
    const name = text.split("@")[0] ?? "";
    const explicit = ref.digest !== undefined || name.lastIndexOf(":") > name.lastIndexOf("/");
    return { ...ref, explicit };
  } catch (err) {
    if (!(err instanceof AirlockError) || err.code !== "ERR_REF_INVALID") throw err;
    reporter.problem(path, err.message, anchor);
    return undefined;
  }
}

/** The selector a reference names by itself: its tag (and digest), or its digest. */
export function referenceSelector(ref: Reference): TagSelector {
  if (ref.tag !== undefined) {
    return ref.digest === undefined
      ? { kind: "tag", tag: ref.tag }
      : { kind: "tag", tag: ref.tag, digest: ref.digest };
  }
  return { kind: "digest", digest: ref.digest ?? "" };
}

/** Checks a list of tags: each valid, none twice. undefined when any is wrong. */
export function checkTags(value: unknown, path: Path, reporter: Reporter): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const seen = new Map<string, number>();
  let ok = value.length > 0;
  value.forEach((tag, i) => {
    if (typeof tag !== "string") return void (ok = false);
    const problem = findTagProblem(tag);
    const first = seen.get(tag);
    if (problem !== undefined)
      reporter.problem([...path, i], `invalid tag ${JSON.stringify(tag)}: ${problem}`);
    else if (first !== undefined)
      reporter.problem([...path, i], `tag ${JSON.stringify(tag)} is already listed`);
    else seen.set(tag, i);
    if (problem !== undefined || first !== undefined) ok = false;
  });
  return ok ? [...seen.keys()] : undefined;
}

/** Checks that a pattern compiles as a JavaScript regular expression. */
export function checkRegex(value: unknown, path: Path, reporter: Reporter): string | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  try {
    new RegExp(value);
    return value;
  } catch (err) {
    const reason =
      err instanceof Error ? err.message.replace(/^Invalid regular expression: /, "") : String(err);
    reporter.problem(path, `not a valid regular expression (JavaScript syntax): ${reason}`);
    return undefined;
  }
}

/** Checks a node-semver range such as ">=3.9 <4". */
export function checkSemverRange(value: unknown, path: Path, reporter: Reporter): string | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  if (semver.validRange(value) !== null) return value;
  reporter.problem(
    path,
    `${JSON.stringify(value)} is not a semver range (node-semver syntax, e.g. ">=3.9 <4", "~1.2", "^2")`,
  );
  return undefined;
}
