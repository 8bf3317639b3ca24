import assert from "node:assert/strict";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, it } from "node:test";
import { sha256Digest } from "../../src/oci/digest.js";
import { VerifyStream } from "../../src/stream/verify-stream.js";

async function run(chunks: Buffer[], digest: string, size: number): Promise<Buffer> {
  const out: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      out.push(chunk);
      cb();
    },
  });
  await pipeline(Readable.from(chunks), new VerifyStream({ digest, size }), sink);
  return Buffer.concat(out);
}

describe("VerifyStream", () => {
  const data = Buffer.from("hello, air gap");
  const digest = sha256Digest(data);
  it("passes matching bytes through, in pieces", async () => {
    assert.deepEqual(await run([data.subarray(0, 3), data.subarray(3)], digest, data.length), data);
  });
  it("accepts the empty blob", async () => {
    assert.equal((await run([], sha256Digest(Buffer.alloc(0)), 0)).length, 0);
  });
  it("fails on wrong bytes of the right size", async () => {
    const wrong = Buffer.from(data);
    wrong[0] = 0x48;
    await assert.rejects(run([wrong], digest, data.length), { code: "ERR_DIGEST_MISMATCH" });
  });
  it("fails on a short body", async () => {
    await assert.rejects(run([data.subarray(1)], digest, data.length), { code: "ERR_SIZE_MISMATCH" });
  });
  it("fails on an overrun before passing the extra bytes on", async () => {
    await assert.rejects(run([data, Buffer.from("x")], digest, data.length), { code: "ERR_SIZE_MISMATCH" });
  });
});
