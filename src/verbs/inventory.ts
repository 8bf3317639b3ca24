import { stat } from "node:fs/promises";
import { AirlockError } from "../errors.js";
import { loadMapping } from "../imagelist/mapping-file.js";
import { encodeInventory, normalizeInventory } from "../plan/inventory-file.js";
import type { Inventory, InventoryRepository } from "../plan/inventory-types.js";
import type { Lock } from "../plan/lock-types.js";
import { parseRegistryTarget, targetName, type TargetNaming } from "../ref/target-name.js";
import { connectRegistry } from "../registry/connect.js";
import type { RegistryClient } from "../registry/client.js";
import { PushJournal, defaultJournalPath } from "../store/push-journal.js";
import { writeFileAtomic } from "../stream/atomic-file.js";
import { Limiter } from "../util/limiter.js";
import { withLinkedSignal } from "../util/linked-signal.js";
import { throttleEvents } from "../util/throttle.js";
import { loadListSource, loadLockSource, type ListSource } from "./list-input.js";
import { walkRepository } from "./inventory-walk.js";
import type { RemoteOptions } from "./options.js";

export interface InventoryOptions extends RemoteOptions, ListSource {
  /** REGISTRY[/PREFIX]: the registry (and repository prefix) to inventory. */
  registry: string;
  /** Only the repositories this lock's images are pushed to (instead of an image list, or the whole catalog). */
  lockFile?: string;
  /** The lock as an object, instead of `lockFile`. */
  lock?: Lock;
  /** Name repositories as push-bundle does: keep the source host as the first path component. */
  keepHost?: boolean;
  /** Name repositories as push-bundle does: a mapping file of {from, to} rules. */
  mappingFile?: string;
  /** Write the inventory here (temporary name, then rename); without it, nothing is written. */
  output?: string;
  /** A push journal that seeds the blobs looked for (each still confirmed with HEAD); default push-bundle's for this target, when it exists. */
  journalFile?: string;
  /** Requests in flight; default 8. */
  concurrency?: number;
  onEvent?: (event: InventoryEvent) => void;
}

/** How far the walk is: repositories done of those to walk. At most ten a second, the last always. */
export interface InventoryEvent {
  type: "repositories";
  done: number;
  total: number;
}

export interface InventoryResult {
  inventory: Inventory;
  /** The file written, when `output` was given. */
  file?: string;
  /** Repositories asked for (from a list or lock) that the registry does not have. */
  absent: string[];
}

/**
 * What a registry inside the gap holds, as digests: per repository (those a
 * list or lock pushes to, named as push-bundle names them, else the whole
 * catalog under the prefix) the tags, the manifests they reach and the blobs
 * present, each confirmed in the registry, and the referrers with their
 * subjects. The same registry gives the same bytes.
 */
export async function takeInventory(options: InventoryOptions): Promise<InventoryResult> {
  const events = throttleEvents(options.onEvent, {
    frequent: () => true,
    final: (e) => e.done >= e.total,
  });
  try {
    return await withLinkedSignal({ ...options, onEvent: events.emit }, runInventory);
  } finally {
    events.flush();
  }
}

async function runInventory(options: InventoryOptions): Promise<InventoryResult> {
  const { registry, prefix } = parseRegistryTarget(options.registry, "--registry");
  const wanted = await wantedRepositories(options, prefix);
  const seeds = await journalSeeds(options, `${registry}/${prefix}`);
  const client = await connectRegistry(registry, options);
  try {
    const names = wanted ?? (await catalogUnder(client, prefix, options.signal));
    const limiter = new Limiter(options.concurrency ?? 8);
    let done = 0;
    const report = (): void => options.onEvent?.({ type: "repositories", done, total: names.length });
    report();
    const walked = await Promise.all(
      names.map(async (name) => {
        const repo = await walkRepository(name, {
          client,
          limiter,
          signal: options.signal,
          seeds: seeds?.digestsIn(name),
        });
        done++;
        report();
        return { name, repo };
      }),
    );
    const repositories = walked.flatMap((w): InventoryRepository[] => (w.repo === undefined ? [] : [w.repo]));
    const inventory = normalizeInventory(client.registry, prefix, repositories);
    if (options.output !== undefined) await writeFileAtomic(options.output, encodeInventory(inventory));
    return {
      inventory,
      ...(options.output !== undefined ? { file: options.output } : {}),
      absent: walked.filter((w) => w.repo === undefined).map((w) => w.name),
    };
  } finally {
    await client.close();
  }
}

/** The target repositories of the list's or lock's images, sorted; undefined for the whole catalog. */
async function wantedRepositories(options: InventoryOptions, prefix: string): Promise<string[] | undefined> {
  const fromList = options.file !== undefined || options.list !== undefined;
  const fromLock = options.lockFile !== undefined || options.lock !== undefined;
  if (fromList && fromLock) {
    throw new AirlockError("ERR_USAGE", "inventory takes an image list or a lock (-f or --lock), not both");
  }
  if (!fromList && !fromLock) return undefined;
  const naming: TargetNaming = {
    prefix,
    keepHost: options.keepHost,
    rules: options.mappingFile === undefined ? [] : await loadMapping(options.mappingFile),
  };
  let references: string[];
  if (fromList) {
    const list = await loadListSource(options);
    references = list.images.map((e) => `${e.registry}/${e.repository}`);
  } else {
    const source = await loadLockSource(options.lock, options.lockFile, () => "");
    if (source.lock === undefined) throw new AirlockError("ERR_FILE", `${source.lockFile} does not exist`);
    references = source.lock.entries.flatMap((e) => e.images.map((i) => i.reference));
  }
  return [...new Set(references.map((r) => targetName(r, naming).repository))].sort();
}

/** Every repository of the catalog under the prefix (every page). */
async function catalogUnder(client: RegistryClient, prefix: string, signal?: AbortSignal): Promise<string[]> {
  const all = await client.catalog({ signal });
  return all.filter((r) => prefix === "" || r === prefix || r.startsWith(`${prefix}/`)).sort();
}

/** The push journal to seed from: the one given, else push-bundle's for this target; none when there is no file. */
async function journalSeeds(options: InventoryOptions, target: string): Promise<PushJournal | undefined> {
  const file = options.journalFile ?? defaultJournalPath(target, options.env);
  const exists = await stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!exists) {
    if (options.journalFile === undefined) return undefined;
    throw new AirlockError("ERR_FILE", `--journal ${file}: no such file`);
  }
  return await PushJournal.open(file);
}
