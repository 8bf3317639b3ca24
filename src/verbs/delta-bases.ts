/**
 * Reading what `create-bundle --since FILE` is given: an inventory.json from
 * the site, an older lock, or an older bundle tar, told apart by their
 * contents (a tar header, JSON with inventoryVersion, YAML or JSON with
 * lockVersion); anything else is refused in one line.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { basename } from "node:path";
import { pipeline } from "node:stream/promises";
import { load } from "js-yaml";
import { bundleLock } from "../bundle/bundle-lock.js";
import { bundleDeltaMarker } from "../bundle/delta-marker.js";
import { AirlockError, fileErrorReason } from "../errors.js";
import type { BaseHolding, DeltaBaseContent } from "../plan/delta-types.js";
import { checkedInventory } from "../plan/inventory-file.js";
import type { Inventory } from "../plan/inventory-types.js";
import { imageContent } from "../plan/lock-content.js";
import { decodeLock, parseLockObject } from "../plan/lock-file.js";
import type { Lock } from "../plan/lock-types.js";
import { formatRepository, parseReference } from "../ref/reference.js";
import { BundleReader } from "../store/bundle-reader.js";
import { bundleRecordOf } from "../store/bundle-refs.js";

const WHAT_TO_GIVE =
  "give an inventory.json from airlock inventory, an older airlock.lock, or an older bundle .tar";

/**
 * Reads every base, in order. A bundle the blob cache at `cacheRoot` recorded
 * (and that is unchanged since) is named by the sha256 recorded then, instead
 * of being hashed whole again.
 * @throws AirlockError ERR_USAGE, ERR_FILE, ERR_INVENTORY_INVALID, ERR_LOCK_INVALID, ERR_BUNDLE_CORRUPT
 */
export async function readDeltaBases(
  files: readonly string[],
  signal?: AbortSignal,
  cacheRoot?: string,
): Promise<DeltaBaseContent[]> {
  const bases: DeltaBaseContent[] = [];
  for (const file of files) bases.push(await readDeltaBase(file, signal, cacheRoot));
  return bases;
}

async function readDeltaBase(
  file: string,
  signal: AbortSignal | undefined,
  cacheRoot: string | undefined,
): Promise<DeltaBaseContent> {
  const where = `--since ${file}`;
  const head = await readHead(file, where);
  const recorded = isTar(head) && cacheRoot !== undefined ? await bundleRecordOf(cacheRoot, file) : undefined;
  const sha256 = recorded?.sha256 ?? (await fileSha256(file, where));
  const named = { file: basename(file), sha256 };
  if (isTar(head)) return { ...named, kind: "bundle", held: await bundleHoldings(file, signal) };
  const text = await readFile(file, "utf8");
  const value = parseText(text, where);
  if (isObjectWith(value, "inventoryVersion")) {
    const inventory = checkedInventory(value, where);
    const { registry, prefix } = inventory;
    return { ...named, kind: "inventory", registry, prefix, held: inventoryHoldings(inventory) };
  }
  if (isObjectWith(value, "lockVersion")) {
    const lock = text.trimStart().startsWith("{") ? parseLockObject(value) : decodeLock(text, file);
    return { ...named, kind: "lock", held: lockHoldings(lock) };
  }
  throw new AirlockError("ERR_USAGE", `${where}: not an airlock inventory, lock or bundle: ${WHAT_TO_GIVE}`);
}

async function readHead(file: string, where: string): Promise<Buffer> {
  try {
    const handle = await open(file, "r");
    try {
      const buf = Buffer.alloc(512);
      const { bytesRead } = await handle.read(buf, 0, 512, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw new AirlockError("ERR_FILE", `${where}: ${fileErrorReason(err)}`, { cause: err });
  }
}

async function fileSha256(file: string, where: string): Promise<string> {
  const hash = createHash("sha256");
  try {
    await pipeline(createReadStream(file), hash);
  } catch (err) {
    throw new AirlockError("ERR_FILE", `${where}: ${fileErrorReason(err)}`, { cause: err });
  }
  return hash.digest("hex");
}

/** A POSIX tar header: "ustar" at offset 257 of the first block. */
function isTar(head: Buffer): boolean {
  return head.length >= 262 && head.subarray(257, 262).toString("latin1") === "ustar";
}

/** JSON (an inventory, or a lock as JSON) or YAML (a lock); a JSON file that does not parse is a cut inventory. */
function parseText(text: string, where: string): unknown {
  if (text.trimStart().startsWith("{")) {
    try {
      return JSON.parse(text);
    } catch {
      throw new AirlockError(
        "ERR_INVENTORY_INVALID",
        `${where}: not valid JSON (a cut or edited inventory?): run airlock inventory again at the site`,
      );
    }
  }
  try {
    return load(text);
  } catch {
    throw new AirlockError(
      "ERR_USAGE",
      `${where}: not an airlock inventory, lock or bundle: ${WHAT_TO_GIVE}`,
    );
  }
}

function isObjectWith(value: unknown, key: string): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && key in value;
}

function inventoryHoldings(inventory: Inventory): Map<string, BaseHolding> {
  const held = new Map<string, BaseHolding>();
  for (const repo of inventory.repositories) {
    for (const b of repo.blobs)
      if (!held.has(b.digest)) held.set(b.digest, { size: b.size, repository: repo.name });
  }
  return held;
}

function lockHoldings(lock: Lock): Map<string, BaseHolding> {
  const held = new Map<string, BaseHolding>();
  for (const image of lock.entries.flatMap((e) => e.images)) {
    const source = formatRepository(parseReference(image.reference));
    for (const b of imageContent(image).blobs)
      if (!held.has(b.digest)) held.set(b.digest, { size: b.size, source });
  }
  return held;
}

/**
 * What a site that took the bundle holds: every blob in the tar, and for a
 * delta the blobs it left out (the push checked they were there); where, by
 * the bundle's lock.
 */
async function bundleHoldings(file: string, signal?: AbortSignal): Promise<Map<string, BaseHolding>> {
  const reader = await BundleReader.open(file, { signal });
  const lock = bundleLock(reader);
  const located = lock === undefined ? new Map<string, BaseHolding>() : lockHoldings(lock);
  const held = new Map<string, BaseHolding>();
  for (const [digest, at] of reader.index.blobs) held.set(digest, { ...located.get(digest), size: at.size });
  const delta = bundleDeltaMarker(reader);
  if (delta !== undefined) {
    for (const o of delta.omitted)
      if (!held.has(o.digest)) held.set(o.digest, { ...located.get(o.digest), size: o.size });
  }
  return held;
}
