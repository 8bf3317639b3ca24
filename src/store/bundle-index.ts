/**
 * A bundle tar indexed with the bundle's own checks layered on the one tar
 * indexer: only the layout's own files and sha256 blobs (no links, no `..`,
 * no absolute paths, no duplicates), nothing past the end, an end-of-archive
 * marker after the last entry; and, when verifying, every blob hashed
 * against its name.
 */
import { AirlockError } from "../errors.js";
import { indexTarFile, type OffsetHasher, type TarEntry, type TarFileIndex } from "./tar-index.js";
import { TAR_END_BYTES } from "./tar-layout.js";

/** Name of the lock carried at the bundle's root. */
export const BUNDLE_LOCK_NAME = "airlock.lock";

/** Name of a delta bundle's marker at the bundle's root: its bases and the blobs it leaves out. */
export const DELTA_MARKER_NAME = "airlock-delta.json";

/** Small files of the layout read into memory (index.json, the lock) are capped at this size. */
const MAX_METADATA_BYTES = 64 * 1024 * 1024;
/** A sigstore trusted_root.json carried for offline keyless checks (create-bundle --trusted-root). */
export const TRUSTED_ROOT_NAME = "trusted_root.json";

const METADATA = new Set([
  "oci-layout",
  "index.json",
  BUNDLE_LOCK_NAME,
  DELTA_MARKER_NAME,
  TRUSTED_ROOT_NAME,
]);
const DIRECTORIES = new Set(["blobs/", "blobs/sha256/"]);
const BLOB_NAME = /^blobs\/sha256\/([a-f0-9]{64})$/;

export interface BlobLocation {
  /** Byte offset of the blob's data in the tar. */
  offset: number;
  size: number;
}

export interface TarIndex {
  file: string;
  /** oci-layout, index.json, airlock.lock and (for a delta) airlock-delta.json, when present. */
  metadata: Map<string, Buffer>;
  /** Every blob by digest, where its bytes are in the tar. */
  blobs: Map<string, BlobLocation>;
  /** With `verify`: each blob whose bytes do not match its name, as a message. */
  corrupt: string[];
}

export interface IndexOptions {
  /** Hash every blob against its name while reading (verify-bundle); otherwise bodies are skipped. */
  verify?: boolean;
  signal?: AbortSignal;
  onBytes?: (n: number) => void;
  /** With `verify`: hash blobs on these worker threads (by offset) while the tar is read. */
  hashPool?: OffsetHasher;
}

/**
 * Reads a bundle tar once, without extracting, refusing anything a bundle
 * may not hold. @throws AirlockError ERR_FILE (unreadable), ERR_BUNDLE_CORRUPT, ERR_ABORTED.
 */
export async function indexBundleTar(file: string, options: IndexOptions = {}): Promise<TarIndex> {
  const seen = new Set<string>();
  const tar = await indexTarFile(file, "bundle", {
    keep: (name) => METADATA.has(name),
    maxKeep: MAX_METADATA_BYTES,
    hash: options.verify === true ? (options.hashPool ?? true) : false,
    check: (entry) => checkEntry(file, entry, seen),
    invalid: "ERR_BUNDLE_CORRUPT",
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.onBytes === undefined ? {} : { onBytes: options.onBytes }),
  });
  // A tar cut between two entries reads as a shorter tar; only the end-of-archive blocks tell.
  if (tar.size - tar.end < TAR_END_BYTES) {
    throw corrupt(file, "the tar ends early (truncated): no end-of-archive marker after its last entry");
  }
  return { file, metadata: tar.metadata, ...blobsOf(tar, options.verify === true) };
}

/** The blobs by digest; with `verified`, those whose bytes do not match their names. */
function blobsOf(tar: TarFileIndex, verified: boolean): Pick<TarIndex, "blobs" | "corrupt"> {
  const blobs = new Map<string, BlobLocation>();
  const damaged: string[] = [];
  for (const [name, at] of tar.files) {
    const hex = BLOB_NAME.exec(name)?.[1];
    if (hex === undefined) continue;
    const digest = `sha256:${hex}`;
    blobs.set(digest, { offset: at.offset, size: at.size });
    if (!verified) continue;
    if (at.hashError !== undefined) damaged.push(`blob ${digest}: cannot be read: ${at.hashError}`);
    else if (at.digest !== digest) {
      damaged.push(`blob ${digest}: content has digest ${at.digest ?? "unknown"}, expected ${digest}`);
    }
  }
  return { blobs, corrupt: damaged };
}

/** Refuses an entry a layout may not hold. */
function checkEntry(file: string, entry: TarEntry, seen: Set<string>): void {
  const { raw } = entry;
  const name = raw.startsWith("./") ? raw.slice(2) : raw;
  if (name.startsWith("/") || name.split("/").includes("..") || name.includes("\\") || name.includes("\0")) {
    throw corrupt(file, `entry "${raw}" points outside the bundle`);
  }
  if (entry.type !== "file" && entry.type !== "directory") {
    throw corrupt(
      file,
      `entry "${raw}" is a ${entry.type ?? "special file"}; a bundle holds only files and directories`,
    );
  }
  const isDir = entry.type === "directory";
  const key = isDir && !name.endsWith("/") ? `${name}/` : name;
  if (seen.has(key)) throw corrupt(file, `entry "${raw}" appears twice`);
  seen.add(key);
  const allowed = isDir ? DIRECTORIES.has(key) : METADATA.has(name) || BLOB_NAME.test(name);
  if (!allowed) throw corrupt(file, `unexpected entry "${raw}": not part of an OCI layout with sha256 blobs`);
  if (METADATA.has(name) && entry.size > MAX_METADATA_BYTES) {
    throw corrupt(file, `${name} is ${entry.size} bytes, more than airlock reads`);
  }
}

function corrupt(file: string, what: string): AirlockError {
  return new AirlockError("ERR_BUNDLE_CORRUPT", `bundle ${file}: ${what}`);
}
