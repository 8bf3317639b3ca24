import { AirlockError, isAirlockError } from "../errors.js";
import type { ImageEntry, ImageList } from "../imagelist/types.js";
import { parseReference } from "../ref/reference.js";
import { mapSettled } from "../util/pool.js";
import { closest, joinWords } from "../util/suggest.js";
import { entryKey, listHash } from "./entry-key.js";
import { LOCK_VERSION, type Lock, type LockEntry, type LockedImage } from "./lock-types.js";
import { compareArtifacts } from "./artifact-order.js";
import { attachedOf } from "./resolve-attached.js";
import { resolveImage } from "./resolve-image.js";
import type { Resolver } from "./resolver.js";
import { PlanError, type PlanProblem } from "./plan-error.js";
import { expandTargets, type Target } from "./select-tags.js";
import { computeTotals } from "./totals.js";

export interface PlanOptions {
  /** The lock from the last run: entries whose key is unchanged keep their pins. */
  previous?: Lock;
  /** Re-resolve these entries even if unchanged (names as in the list, or repositories); `true` for all. */
  update?: true | string[];
  /** Resolutions in flight at once. */
  concurrency?: number;
  /** Told each time an image is resolved. */
  onProgress?: (done: number, total: number, reference: string) => void;
}

export { PlanError, type PlanProblem } from "./plan-error.js";

/**
 * Resolves an image list into a lock: tag → top manifest → selected platform
 * manifests → configs and layers. Entries unchanged since `previous` keep
 * their pins unless named in `update`. Pure apart from the resolver.
 */
export async function planLock(
  list: ImageList,
  resolver: Resolver,
  options: PlanOptions = {},
): Promise<Lock> {
  const concurrency = options.concurrency ?? 8;
  const unique = uniqueEntries(list.images);
  checkUpdateNames(unique, options.update, list.file);
  const kept = new Map((options.previous?.entries ?? []).map((e) => [e.key, e]));
  const fresh = unique.filter((e) => !kept.has(entryKey(e)) || isUpdated(e, options.update));
  const problems: PlanProblem[] = [];

  const expanded = await mapSettled(fresh, concurrency, (e) => expandTargets(e, resolver));
  const work: { entry: ImageEntry; target: Target }[] = [];
  expanded.forEach((r, i) => {
    const entry = fresh[i] as ImageEntry;
    if (r.status === "rejected") problems.push(problemOf(entry, r.reason));
    else for (const target of r.value) work.push({ entry, target });
  });

  let done = 0;
  const images = await mapSettled(work, concurrency, async ({ entry, target }) => {
    const image = await resolveImage(entry, target, resolver);
    options.onProgress?.(++done, work.length, image.reference);
    return image;
  });
  const byEntry = new Map<ImageEntry, LockedImage[]>();
  images.forEach((r, i) => {
    const { entry } = work[i] as { entry: ImageEntry };
    if (r.status === "rejected") problems.push(problemOf(entry, r.reason));
    else byEntry.set(entry, [...(byEntry.get(entry) ?? []), r.value]);
  });
  if (problems.length > 0) throw new PlanError(dedupeProblems(problems));

  const looks = resolver.referrers !== undefined && resolver.manifestIfTagged !== undefined;
  if (looks && options.previous !== undefined && options.previous.attachedRecorded !== true) {
    const older = unique.filter((e) => !byEntry.has(e) && kept.has(entryKey(e)));
    for (const [entry, images] of await attachedOfKept(older, kept, resolver, concurrency, problems)) {
      byEntry.set(entry, images);
    }
    if (problems.length > 0) throw new PlanError(dedupeProblems(problems));
  }

  const entries = unique.map((e): LockEntry => {
    const key = entryKey(e);
    const images = byEntry.get(e) ?? kept.get(key)?.images ?? [];
    return {
      key,
      source: e.source,
      images: [...images].sort((a, b) => a.reference.localeCompare(b.reference)),
    };
  });
  entries.sort((a, b) => a.key.localeCompare(b.key));
  return {
    lockVersion: LOCK_VERSION,
    listHash: listHash(list),
    ...(looks ? { attachedRecorded: true as const } : {}),
    entries,
    totals: computeTotals(entries),
  };
}

/**
 * A lock written before airlock recorded attached content keeps its pins; what is attached
 * to the pinned digests is looked for now.
 */
async function attachedOfKept(
  entries: ImageEntry[],
  kept: Map<string, LockEntry>,
  resolver: Resolver,
  concurrency: number,
  problems: PlanProblem[],
): Promise<Map<ImageEntry, LockedImage[]>> {
  const out = new Map<ImageEntry, LockedImage[]>();
  const settled = await mapSettled(entries, concurrency, async (entry) =>
    Promise.all(
      (kept.get(entryKey(entry))?.images ?? []).map(async (image): Promise<LockedImage> => {
        const subjects = [image.digest, ...image.platforms.map((p) => p.digest)];
        const attached = await attachedOf(entry, subjects, resolver);
        const { attached: _old, ...rest } = image;
        return attached.length > 0 ? { ...rest, attached: attached.sort(compareArtifacts) } : rest;
      }),
    ),
  );
  settled.forEach((r, i) => {
    const entry = entries[i] as ImageEntry;
    if (r.status === "rejected") problems.push(problemOf(entry, r.reason));
    else out.set(entry, r.value);
  });
  return out;
}

function uniqueEntries(entries: ImageEntry[]): ImageEntry[] {
  const seen = new Set<string>();
  return entries.filter((e) => {
    const key = entryKey(e);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** True when `update` names this entry: by its text as written, or by its repository. */
function isUpdated(entry: ImageEntry, update: PlanOptions["update"]): boolean {
  if (update === undefined) return false;
  if (update === true || update.length === 0) return true;
  return update.some((name) => namesEntry(name, entry));
}

function namesEntry(name: string, entry: ImageEntry): boolean {
  if (name === entry.source) return true;
  try {
    const ref = parseReference(name);
    return ref.registry === entry.registry && ref.repository === entry.repository;
  } catch {
    return false;
  }
}

/**
 * A name given to update that matches no entry would leave a moved tag pinned while saying
 * "up to date": it is an error naming the closest entries.
 * @throws AirlockError ERR_USAGE
 */
function checkUpdateNames(entries: ImageEntry[], update: PlanOptions["update"], file: string): void {
  if (update === undefined || update === true) return;
  const unknown = update.filter((name) => !entries.some((e) => namesEntry(name, e)));
  if (unknown.length === 0) return;
  const names = entries.map((e) => e.source);
  const near = unknown.map((name) => closest(name, names) ?? closestByRepository(name, entries));
  const hints = [...new Set(near.filter((n): n is string => n !== undefined))];
  const hint =
    hints.length > 0
      ? `did you mean ${joinWords(hints.map((h) => `"${h}"`))}?`
      : `its entries are ${joinWords(
          names.slice(0, 3).map((n) => `"${n}"`),
          "and",
        )}${names.length > 3 ? ` and ${names.length - 3} more` : ""}`;
  throw new AirlockError(
    "ERR_USAGE",
    `${joinWords(
      unknown.map((n) => `"${n}"`),
      "and",
    )} ${unknown.length === 1 ? "names" : "name"} no entry of ${file} (an entry as written, or its repository): ${hint}`,
  );
}

/** An entry whose repository's last part is the name, or near it ("nginx" for docker.io/library/nginx:1.27). */
function closestByRepository(name: string, entries: ImageEntry[]): string | undefined {
  const last = (e: ImageEntry): string => e.repository.split("/").pop() ?? e.repository;
  const word = name.split(/[:@]/)[0]?.split("/").pop() ?? name;
  const match = closest(word, entries.map(last));
  return entries.find((e) => last(e) === match)?.source;
}

/** An entry's failure as a problem; anything but an AirlockError is a bug and is rethrown. */
function problemOf(entry: ImageEntry, err: unknown): PlanProblem {
  if (isAirlockError(err)) return { entry, code: err.code, message: err.message };
  throw err;
}

function dedupeProblems(problems: PlanProblem[]): PlanProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.entry.source}\n${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
