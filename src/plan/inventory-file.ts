/** The inventory as JSON: a fixed order and layout (the same registry gives the same bytes), and read back through its schema. */
import { AirlockError } from "../errors.js";
import { validate as validator } from "../generated/validate-inventory.js";
import {
  INVENTORY_VERSION,
  type Inventory,
  type InventoryRepository,
  type InventoryTotals,
} from "./inventory-types.js";

const byKey =
  <T>(key: (t: T) => string) =>
  (a: T, b: T): number => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };

/** Repositories sorted, each list inside sorted and deduplicated, totals counted. */
export function normalizeInventory(
  registry: string,
  prefix: string,
  repositories: InventoryRepository[],
): Inventory {
  const repos = [...repositories].sort(byKey((r) => r.name)).map(normalizeRepository);
  return {
    inventoryVersion: INVENTORY_VERSION,
    registry,
    prefix,
    repositories: repos,
    totals: totalsOf(repos),
  };
}

function normalizeRepository(r: InventoryRepository): InventoryRepository {
  const unique = <T>(items: T[], key: (t: T) => string): T[] =>
    [...new Map(items.map((i) => [key(i), i])).values()].sort(byKey(key));
  return {
    name: r.name,
    tags: unique(r.tags, (t) => t.tag).map((t) => ({
      tag: t.tag,
      digest: t.digest,
      mediaType: t.mediaType,
      size: t.size,
    })),
    manifests: unique(r.manifests, (m) => m.digest).map((m) => ({
      digest: m.digest,
      mediaType: m.mediaType,
      size: m.size,
    })),
    blobs: unique(r.blobs, (b) => b.digest).map((b) => ({ digest: b.digest, size: b.size })),
    referrers: unique(r.referrers, (f) => `${f.subject} ${f.digest}`).map((f) => ({
      subject: f.subject,
      digest: f.digest,
      ...(f.artifactType !== undefined ? { artifactType: f.artifactType } : {}),
    })),
  };
}

function totalsOf(repos: InventoryRepository[]): InventoryTotals {
  const manifests = new Set(repos.flatMap((r) => r.manifests.map((m) => m.digest)));
  const blobs = new Map(repos.flatMap((r) => r.blobs.map((b) => [b.digest, b.size] as const)));
  return {
    repositories: repos.length,
    tags: repos.reduce((n, r) => n + r.tags.length, 0),
    manifests: manifests.size,
    blobs: blobs.size,
    bytes: [...blobs.values()].reduce((n, s) => n + s, 0),
  };
}

/** The inventory as JSON text, keys in a fixed order, one item a line for the lists. */
export function encodeInventory(inventory: Inventory): string {
  const n = normalizeInventory(inventory.registry, inventory.prefix, inventory.repositories);
  return JSON.stringify(n, null, 1) + "\n";
}

/** Every way the value is not an inventory (at most five), empty when it is one. */
function validateInventory(value: unknown): string[] {
  if (validator(value)) return [];
  return (validator.errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`);
}

/**
 * Parses and validates an inventory's text against its schema.
 * @throws AirlockError ERR_INVENTORY_INVALID naming `file` and what is wrong.
 */
export function decodeInventory(text: string, file: string): Inventory {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AirlockError(
      "ERR_INVENTORY_INVALID",
      `${file} is not valid JSON (a cut or edited inventory?): run airlock inventory again at the site`,
    );
  }
  return checkedInventory(value, file);
}

/** Validates a parsed value as an inventory. @throws AirlockError ERR_INVENTORY_INVALID */
export function checkedInventory(value: unknown, file: string): Inventory {
  const errors = validateInventory(value);
  if (errors.length > 0) {
    throw new AirlockError(
      "ERR_INVENTORY_INVALID",
      `${file} is not a valid airlock inventory: ${errors.join("; ")} (run airlock inventory again at the site)`,
    );
  }
  return value as Inventory;
}
