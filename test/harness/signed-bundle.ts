/**
 * A bundle that carries what is attached to its images, made from one that
 * does not: the manifests and blobs of the given nodes added as blobs, and the
 * bundle's lock replaced by one that records them (the lock `airlock lock`
 * wrote). A stand-in, for the signature tests, until create-bundle carries
 * attached content itself; only the lock's `attached` records and the blobs
 * matter to verify-signatures and push-bundle --require-signatures.
 */
import { writeFile } from "node:fs/promises";
import { BUNDLE_LOCK_NAME } from "../../src/store/bundle-index.js";
import { packEntries, readEntries, type TarEntry } from "./bundle-tamper.js";
import { blobsOf, type BuiltNode } from "./image-builder.js";

export async function carryAttached(
  bundle: string,
  dest: string,
  lockText: string,
  nodes: BuiltNode[],
): Promise<void> {
  const entries = await readEntries(bundle);
  const names = new Set(entries.map((e) => e.header.name));
  const out: TarEntry[] = entries.map((e) =>
    e.header.name === BUNDLE_LOCK_NAME
      ? { header: { ...e.header, size: undefined }, body: Buffer.from(lockText) }
      : e,
  );
  for (const blob of nodes.flatMap(blobsOf)) {
    const name = `blobs/sha256/${blob.digest.slice("sha256:".length)}`;
    if (names.has(name)) continue;
    names.add(name);
    out.push({ header: { name, mode: 0o644, mtime: new Date(0), type: "file" }, body: blob.bytes });
  }
  await writeFile(dest, await packEntries(out));
}
