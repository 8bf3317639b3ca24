/**
 * Damaged and hostile copies of a good bundle, for the tests that prove
 * verify-bundle and push-bundle refuse them: a flipped byte inside a blob,
 * a tar cut short, and tars re-packed with tar-stream with extra entries
 * (path traversal, links, duplicates) or a raw header claiming an absurd size.
 */
import { copyFile, open, readFile, writeFile } from "node:fs/promises";
import { extract, pack, type Header, type Pack } from "tar-stream";
import { indexBundleTar } from "../../src/store/bundle-index.js";

/** One tar entry held in memory; header fields not given take tar-stream's defaults. */
export interface TarEntry {
  header: Partial<Header> & Pick<Header, "name">;
  body?: Buffer;
}

/** Where a blob's bytes are in a bundle tar. */
export async function blobLocation(
  bundle: string,
  digest: string,
): Promise<{ offset: number; size: number }> {
  const at = (await indexBundleTar(bundle)).blobs.get(digest);
  if (at === undefined) throw new Error(`${bundle} has no blob ${digest}`);
  return at;
}

/** Copies `bundle` to `dest` with one byte in the middle of blob `digest` inverted. */
export async function flipByteInBlob(bundle: string, dest: string, digest: string): Promise<void> {
  const { offset, size } = await blobLocation(bundle, digest);
  await copyFile(bundle, dest);
  const file = await open(dest, "r+");
  try {
    const at = offset + Math.floor(size / 2);
    const byte = Buffer.alloc(1);
    await file.read(byte, 0, 1, at);
    byte[0] = (byte[0] ?? 0) ^ 0xff;
    await file.write(byte, 0, 1, at);
  } finally {
    await file.close();
  }
}

/** Copies `bundle` to `dest` cut off in the middle of blob `digest`. */
export async function truncateInBlob(bundle: string, dest: string, digest: string): Promise<void> {
  const { offset, size } = await blobLocation(bundle, digest);
  await writeFile(dest, (await readFile(bundle)).subarray(0, offset + Math.floor(size / 2)));
}

/** Copies `bundle` to `dest` cut off right after blob `digest` (its padding included): a whole entry less. */
export async function truncateAfterBlob(bundle: string, dest: string, digest: string): Promise<void> {
  const { offset, size } = await blobLocation(bundle, digest);
  await writeFile(dest, (await readFile(bundle)).subarray(0, offset + Math.ceil(size / 512) * 512));
}

/** Every entry of a (small) tar, bodies in memory. */
export async function readEntries(bundle: string): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const ex = extract();
  ex.on("entry", (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk) => void chunks.push(chunk as Buffer));
    stream.on("end", () => {
      entries.push({ header, body: Buffer.concat(chunks) });
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => {
    ex.once("finish", resolve);
    ex.once("error", reject);
  });
  ex.end(await readFile(bundle));
  await done;
  return entries;
}

/** A tar of the entries, packed with tar-stream; without the end-of-archive blocks when `open`. */
export async function packEntries(entries: TarEntry[], options: { open?: boolean } = {}): Promise<Buffer> {
  const tar: Pack = pack();
  const collected = (async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of tar) chunks.push(Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks);
  })();
  for (const { header, body } of entries) {
    await new Promise<void>((resolve, reject) =>
      tar.entry(header, body ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve())),
    );
  }
  tar.finalize();
  const all = await collected;
  return options.open === true ? all.subarray(0, all.length - 1024) : all;
}

/** Re-packs `bundle` into `dest` with `extra` entries after its own. */
export async function repackWith(bundle: string, dest: string, extra: TarEntry[]): Promise<void> {
  await writeFile(dest, await packEntries([...(await readEntries(bundle)), ...extra]));
}

/**
 * A ustar header for a regular file `name` whose size field claims `size`
 * bytes in base-256 (how tar writes sizes of 8 GiB and more).
 */
export function absurdSizeHeader(name: string, size: bigint): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, "utf8");
  header.write("0000644\0", 100, "ascii");
  header.write("0000000\0", 108, "ascii");
  header.write("0000000\0", 116, "ascii");
  header[124] = 0x80;
  for (let i = 135, v = size; i > 124; i--, v >>= 8n) header[i] = Number(v & 0xffn);
  header.write("00000000000\0", 136, "ascii");
  header.write("0", 156, "ascii");
  header.write("ustar\x0000", 257, "ascii");
  header.fill(0x20, 148, 156);
  const sum = header.reduce((n, b) => n + b, 0);
  header.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "ascii");
  return header;
}

/** Re-packs `bundle` into `dest` with one more entry whose header claims `size` bytes (1 KiB follow). */
export async function repackWithAbsurdSize(bundle: string, dest: string, name: string, size: bigint) {
  const head = await packEntries(await readEntries(bundle), { open: true });
  await writeFile(dest, Buffer.concat([head, absurdSizeHeader(name, size), Buffer.alloc(2048)]));
}
