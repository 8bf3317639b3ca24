/**
 * Writing the referrers API's fallback tag (`sha256-<hex>`, an index of the subject's referrers)
 * for registries without the API, as the OCI distribution spec asks of a client: read the tag's
 * index (none: start empty), add the descriptors it lacks (never one twice), push it back.
 *
 * Two writers of one subject's tag: within a process, the updates of one tag run one after
 * another (so neither overwrites the other's read). Across processes a registry offers no
 * compare-and-swap on tags (Distribution 2.8 has no conditional manifest PUT), so each write is
 * confirmed: after it settles (SETTLE_MS) the tag is read again and, while any of ours is
 * missing, merged and written again. A writer that overwrites ours must have read the tag before
 * our write (else it would have kept ours), so its write lands within its own read-to-write time
 * after that: a confirmation that waits longer sees it. Only a writer slower than SETTLE_MS
 * between its read and its write can still lose one; a second push heals that.
 */
import { setTimeout as delay } from "node:timers/promises";
import { AirlockError } from "../errors.js";
import { referrersTag } from "../oci/attached-tags.js";
import { MediaType, isIndexType } from "../oci/media-types.js";
import type { Descriptor } from "../oci/types.js";
import { KeyedQueue } from "../util/keyed-queue.js";
import type { CallOptions, RegistryClient } from "./client.js";

/** Writes of one tag, confirmed by a re-read, before giving up on a tag another writer keeps replacing. */
const MAX_WRITES = 5;
/** How long a write settles before it is confirmed: longer than another writer's read-to-write time. */
const SETTLE_MS = 1000;

const queues = new WeakMap<RegistryClient, KeyedQueue>();
const apis = new WeakMap<RegistryClient, Promise<boolean>>();

/** Whether the registry answers the referrers API (probed once per client, on the subject given). */
export function hasReferrersApi(
  client: RegistryClient,
  repository: string,
  subject: string,
  options: CallOptions = {},
): Promise<boolean> {
  let known = apis.get(client);
  if (known === undefined) {
    known = client.referrersFromApi(repository, subject, options).then((listed) => listed !== undefined);
    apis.set(client, known);
    known.catch(() => apis.delete(client));
  }
  return known;
}

/**
 * Makes `referrers` (stored already) listed in the fallback tag of `subject`: merged with what
 * the tag lists, nothing written when it lists them all. "listed" when it was written.
 * @throws AirlockError ERR_REGISTRY when the tag holds something other than an index, or keeps
 *   being replaced by another writer.
 */
export function addToReferrersTag(
  client: RegistryClient,
  repository: string,
  subject: string,
  referrers: Descriptor[],
  options: CallOptions = {},
): Promise<"listed" | "unchanged"> {
  let queue = queues.get(client);
  if (queue === undefined) {
    queue = new KeyedQueue();
    queues.set(client, queue);
  }
  const tag = referrersTag(subject);
  return queue.run(`${repository}:${tag}`, async () => {
    for (let write = 0; write <= MAX_WRITES; write++) {
      const current = await currentIndex(client, repository, tag, options);
      const listed = new Set(current.manifests.map((d) => d.digest));
      const missing = dedupe(referrers).filter((d) => !listed.has(d.digest));
      if (missing.length === 0) return write === 0 ? "unchanged" : "listed";
      if (write === MAX_WRITES) break;
      const index = { ...current.json, manifests: [...current.raw, ...missing] };
      const bytes = Buffer.from(JSON.stringify(index));
      await client.manifestPut(repository, tag, bytes, MediaType.OciIndex, options);
      await delay(SETTLE_MS, undefined, { signal: options.signal });
    }
    throw new AirlockError(
      "ERR_REGISTRY",
      `${client.registry}/${repository}:${tag}: another writer keeps replacing this referrers index; push again`,
    );
  });
}

interface CurrentIndex {
  /** The index's own fields, to keep them. */
  json: Record<string, unknown>;
  /** Its entries as written, kept byte for byte in meaning. */
  raw: unknown[];
  manifests: { digest: string }[];
}

async function currentIndex(
  client: RegistryClient,
  repository: string,
  tag: string,
  options: CallOptions,
): Promise<CurrentIndex> {
  const found = await client.manifestFind(repository, tag, options);
  if (found === undefined) {
    return { json: { schemaVersion: 2, mediaType: MediaType.OciIndex }, raw: [], manifests: [] };
  }
  const where = `${client.registry}/${repository}:${tag}`;
  const json = parseObject(found.bytes);
  const raw = json?.manifests;
  if (!isIndexType(found.mediaType) || json === undefined || !Array.isArray(raw)) {
    throw new AirlockError(
      "ERR_REGISTRY",
      `${where} is a ${found.mediaType}, not an index of referrers: airlock leaves it alone; remove it to let referrers be listed there`,
    );
  }
  const manifests = raw.flatMap((d: unknown) => {
    const digest = (d as { digest?: unknown } | null)?.digest;
    return typeof digest === "string" ? [{ digest }] : [];
  });
  return { json, raw, manifests };
}

function parseObject(bytes: Buffer): Record<string, unknown> | undefined {
  try {
    const json: unknown = JSON.parse(bytes.toString("utf8"));
    return typeof json === "object" && json !== null && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function dedupe(list: Descriptor[]): Descriptor[] {
  const seen = new Set<string>();
  return list.filter((d) => !seen.has(d.digest) && seen.add(d.digest) !== undefined);
}
