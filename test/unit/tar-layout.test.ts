import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { pack } from "tar-stream";
import { TarLayout, tarHeader, tarSize, type TarEntryType } from "../../src/store/tar-layout.js";
import { TarWriter } from "../../src/store/tar-writer.js";

/** The header tar-stream's pack writes for an entry with airlock's fixed fields. */
async function packHeader(name: string, size: number, type: TarEntryType): Promise<Buffer> {
  const p = pack();
  const first = new Promise<Buffer>((resolve) =>
    p.once("data", (chunk: unknown) => resolve(Buffer.from(chunk as Uint8Array))),
  );
  const header = {
    name,
    size,
    type,
    mode: type === "file" ? 0o644 : 0o755,
    mtime: new Date(0),
    uid: 0,
    gid: 0,
  };
  if (type === "directory") p.entry(header);
  else p.entry(header).on("error", () => undefined);
  const bytes = await first;
  p.destroy();
  return bytes;
}

describe("tarHeader", () => {
  const cases: [string, number, TarEntryType][] = [
    ["oci-layout", 30, "file"],
    ["blobs/", 0, "directory"],
    ["blobs/sha256/", 0, "directory"],
    [`blobs/sha256/${"ab".repeat(32)}`, 0, "file"],
    [`blobs/sha256/${"cd".repeat(32)}`, 8 ** 11 - 1, "file"],
    [`blobs/sha256/${"ef".repeat(32)}`, 8 ** 11, "file"],
    [`blobs/sha256/${"01".repeat(32)}`, 5 * 2 ** 40 + 3, "file"],
    [`${"x".repeat(90)}/${"y".repeat(60)}/layer.tar`, 1234, "file"],
  ];
  for (const [name, size, type] of cases) {
    it(`is what tar-stream writes for ${name.slice(0, 24)}… of ${size} bytes`, async () => {
      assert.ok(tarHeader({ name, size, type }).equals(await packHeader(name, size, type)));
    });
  }

  it("refuses a name no ustar header holds", () => {
    assert.throws(() => tarHeader({ name: "z".repeat(101), size: 1, type: "file" }), {
      code: "ERR_UNSUPPORTED",
    });
    assert.throws(() => tarHeader({ name: "café", size: 1, type: "file" }), { code: "ERR_UNSUPPORTED" });
  });
});

describe("TarLayout", () => {
  it("places each entry after the last, padded to blocks, and knows the archive's size", () => {
    const layout = TarLayout.of([
      { name: "a", size: 1 },
      { name: "d/", size: 0, type: "directory" },
      { name: "b", size: 512 },
      { name: "c", size: 0 },
    ]);
    assert.deepEqual(
      layout.slots.map((s) => [s.headerOffset, s.dataOffset, s.end]),
      [
        [0, 512, 1024],
        [1024, 1536, 1536],
        [1536, 2048, 2560],
        [2560, 3072, 3072],
      ],
    );
    assert.equal(layout.size, tarSize([1, 0, 512, 0]));
    assert.equal(layout.slot("b")?.dataOffset, 2048);
    assert.throws(() => layout.add({ name: "a", size: 3 }), { code: "ERR_USAGE" });
  });
});

describe("TarWriter", () => {
  const entries = [randomBytes(700), randomBytes(512), Buffer.alloc(0), randomBytes(100_000)];
  const specs = entries.map((b, i) => ({ name: `f${i}`, size: b.length }));

  async function writeInOrder(file: string, order: number[]): Promise<string | undefined> {
    const tar = await TarWriter.create(file, { layout: TarLayout.of(specs), hash: true });
    const slots = tar.layout.slots;
    await Promise.all(
      order.map((i) => tar.write(slots[i]!, i % 2 === 0 ? Readable.from([entries[i]!]) : entries[i]!)),
    );
    return (await tar.commit()).sha256;
  }

  it("writes the same bytes whatever order (and concurrency) the entries are written in", async () => {
    const dir = await mkdtemp(join(tmpdir(), "airlock-tarw-"));
    try {
      const inOrder = await writeInOrder(join(dir, "a.tar"), [0, 1, 2, 3]);
      const shuffled = await writeInOrder(join(dir, "b.tar"), [3, 1, 0, 2]);
      const a = await readFile(join(dir, "a.tar"));
      assert.ok(a.equals(await readFile(join(dir, "b.tar"))));
      assert.equal(inOrder, createHash("sha256").update(a).digest("hex"));
      assert.equal(shuffled, inOrder);
      assert.deepEqual((await readdir(dir)).sort(), ["a.tar", "b.tar"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses content of the wrong size and an entry never written, leaving nothing behind", async () => {
    const dir = await mkdtemp(join(tmpdir(), "airlock-tarw-"));
    try {
      const short = await TarWriter.create(join(dir, "s.tar"), { layout: TarLayout.of(specs) });
      await assert.rejects(short.write(short.layout.slots[0]!, Readable.from([Buffer.alloc(10)])), {
        code: "ERR_SIZE_MISMATCH",
      });
      await assert.rejects(short.commit(), { code: "ERR_SIZE_MISMATCH" });
      const long = await TarWriter.create(join(dir, "l.tar"), { layout: TarLayout.of(specs) });
      await assert.rejects(long.write(long.layout.slots[1]!, Readable.from([randomBytes(513)])), {
        code: "ERR_SIZE_MISMATCH",
      });
      await long.abort();
      const missing = await TarWriter.create(join(dir, "m.tar"), { layout: TarLayout.of(specs) });
      await missing.write(missing.layout.slots[0]!, entries[0]!);
      await assert.rejects(missing.commit(), { code: "ERR_USAGE" });
      assert.deepEqual(await readdir(dir), []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
