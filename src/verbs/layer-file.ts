/**
 * New layers for append and flatten: an uncompressed tar stream is hashed
 * (its diff ID), gzipped and written to a temporary file while it is hashed
 * again (its digest), so the layer's descriptor is known before the upload
 * and no layer is ever held in memory.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, readdir, lstat, readlink, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { PassThrough, Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import { pack } from "tar-stream";
import { AirlockError, fileErrorReason } from "../errors.js";
import type { Descriptor } from "../oci/types.js";

/** A layer written to a temporary file. */
export interface LayerFile {
  descriptor: Descriptor;
  /** sha256 of the uncompressed tar, for the config's rootfs.diff_ids. */
  diffId: string;
  open: () => Promise<Readable>;
  /** Removes the temporary file. */
  remove: () => Promise<void>;
}

/** Gzips an uncompressed tar stream into a temporary layer file. */
export async function layerFromTar(
  tar: Readable,
  mediaType: string,
  signal?: AbortSignal,
): Promise<LayerFile> {
  const dir = await mkdtemp(join(tmpdir(), "airlock-layer-"));
  const file = join(dir, "layer.tar.gz");
  const diff = hashing();
  const blob = hashing();
  try {
    await pipeline(tar, diff.stream, createGzip(), blob.stream, createWriteStream(file), { signal });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    descriptor: { mediaType, digest: blob.digest(), size: blob.size() },
    diffId: diff.digest(),
    open: () => Promise.resolve(createReadStream(file)),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * A layer from a path: a tar file (gzip or not) is recompressed as it is; a
 * directory is packed (sorted, owner 0:0, mtime 0, so the same tree gives
 * the same layer).
 * @throws AirlockError ERR_FILE when the path cannot be read.
 */
export async function layerFromPath(
  path: string,
  mediaType: string,
  signal?: AbortSignal,
): Promise<LayerFile> {
  const info = await stat(path).catch((err: unknown) => {
    throw new AirlockError("ERR_FILE", `cannot read ${path}: ${fileErrorReason(err)}`, { cause: err });
  });
  if (info.isDirectory()) return await layerFromTar(packDirectory(path), mediaType, signal);
  const head = await firstBytes(path);
  const raw = createReadStream(path);
  const tar = head[0] === 0x1f && head[1] === 0x8b ? raw.pipe(createGunzip()) : raw;
  return await layerFromTar(tar, mediaType, signal);
}

function hashing(): { stream: Transform; digest: () => string; size: () => number } {
  const hash = createHash("sha256");
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  let hex: string | undefined;
  return { stream, digest: () => `sha256:${(hex ??= hash.digest("hex"))}`, size: () => size };
}

async function firstBytes(path: string): Promise<Buffer> {
  for await (const chunk of createReadStream(path, { start: 0, end: 1 })) return chunk as Buffer;
  return Buffer.alloc(0);
}

/** A tar of a directory's contents, streamed. */
function packDirectory(root: string): Readable {
  const tar = pack();
  const out = new PassThrough();
  void addTree(tar, root, root).then(
    () => tar.finalize(),
    (err: unknown) => tar.destroy(err instanceof Error ? err : new Error(String(err))),
  );
  tar.pipe(out);
  tar.on("error", (err) => out.destroy(err));
  return out;
}

async function addTree(tar: ReturnType<typeof pack>, root: string, dir: string): Promise<void> {
  for (const name of (await readdir(dir)).sort()) {
    const full = join(dir, name);
    const rel = relative(root, full);
    const info = await lstat(full);
    const base = { mode: info.mode & 0o7777, mtime: new Date(0), uid: 0, gid: 0 };
    if (info.isDirectory()) {
      await entry(tar, { ...base, name: `${rel}/`, type: "directory" });
      await addTree(tar, root, full);
    } else if (info.isSymbolicLink()) {
      await entry(tar, { ...base, name: rel, type: "symlink", linkname: await readlink(full) });
    } else if (info.isFile()) {
      await pipeline(createReadStream(full), tar.entry({ ...base, name: rel, size: info.size }));
    }
  }
}

function entry(
  tar: ReturnType<typeof pack>,
  header: Parameters<ReturnType<typeof pack>["entry"]>[0],
): Promise<void> {
  return new Promise((resolve, reject) => tar.entry(header, (err) => (err ? reject(err) : resolve())));
}
