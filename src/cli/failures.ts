/**
 * Per-image failures told by cause: the same cause across N images is one
 * line with the count and the first few images, not N lines.
 */
import type { ErrorCode } from "../errors.js";
import { parseReference } from "../ref/reference.js";
import { exitCodeFor } from "./exit-codes.js";

export interface ImageFailure {
  /** The image, as the user knows it (the source reference). */
  reference: string;
  code: string;
  message: string;
  /** Where the image is listed ("airlock.yaml:3:5"), told when it fails alone. */
  at?: string;
}

export interface FailureGroup {
  code: string;
  /** The message with the image taken out: what the images share. */
  cause: string;
  failures: ImageFailure[];
}

/** Images named in a group's line; the rest are counted. */
const NAMED = 3;
const MASK = "…";

/** Failures grouped by code and cause, the largest group first (in order of appearance on a tie). */
export function groupFailures(failures: readonly ImageFailure[]): FailureGroup[] {
  const groups = new Map<string, FailureGroup>();
  for (const f of failures) {
    const cause = causeOf(f);
    const key = `${f.code}\u0000${cause}`;
    const group = groups.get(key) ?? { code: f.code, cause, failures: [] };
    group.failures.push(f);
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => b.failures.length - a.failures.length);
}

/** One line: "REF: message" for one image, "N images failed: cause (a, b, c and 2 more)" for several. */
export function formatGroup(group: FailureGroup): string {
  const [first] = group.failures;
  if (group.failures.length === 1 && first !== undefined) {
    return `${first.at === undefined ? "" : `${first.at} `}${first.reference}: ${first.message}`;
  }
  const refs = group.failures.map((f) => f.reference);
  const shown = refs.length <= NAMED + 1 ? refs : refs.slice(0, NAMED);
  const rest = refs.length - shown.length;
  const named =
    rest > 0
      ? `${shown.join(", ")} and ${rest} more`
      : `${shown.slice(0, -1).join(", ")} and ${shown.at(-1) ?? ""}`;
  return `${refs.length} images failed: ${group.cause} (${named})`;
}

/** The exit code of the largest group (groups come largest first). */
export function exitCodeOfGroups(groups: readonly FailureGroup[]): number {
  return exitCodeFor((groups[0]?.code ?? "ERR_REGISTRY") as ErrorCode);
}

/**
 * What a failure says once the image is taken out: its reference, repository,
 * tag and any digest masked, URLs cut to their host, and leading context that
 * only named the image dropped.
 */
export function causeOf(failure: ImageFailure): string {
  let text = failure.message.replace(/\b[a-z0-9]+:[0-9a-f]{32,}\b/g, MASK);
  text = text.replace(/\bhttps?:\/\/([^/\s)]+)[^\s)]*/g, "$1");
  for (const part of imageParts(failure.reference)) {
    text = text.replace(new RegExp(`(?<![\\w./-])${escapeRegExp(part)}(?![\\w-])`, "g"), MASK);
  }
  text = text.replace(/…(?:[/:@]?…)+/g, MASK);
  const segments = text.split(": ");
  while (segments.length > 1 && segments[0]?.includes(MASK) === true) segments.shift();
  return segments.join(": ");
}

/** The strings that name this image, longest first. */
function imageParts(reference: string): string[] {
  const parts = new Set([reference]);
  try {
    const ref = parseReference(reference);
    const last = ref.repository.split("/").at(-1) ?? "";
    for (const p of [ref.repository, last]) {
      parts.add(p);
      if (ref.tag !== undefined) parts.add(`${p}:${ref.tag}`);
    }
  } catch {
    // Not a reference: the whole string is all there is to mask.
  }
  return [...parts].filter((p) => p.length > 0).sort((a, b) => b.length - a.length);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
