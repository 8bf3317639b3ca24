import { createHash, type Hash } from "node:crypto";
import { open, type FileHandle } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { AirlockError } from "../errors.js";
import type { BlobExtent } from "../store/image-store.js";

/** Reads are this large: few system calls; two such buffers per response, reused. */
export const READ_CHUNK = 1024 * 1024;

export interface BodyRange {
  /** First and last byte (inclusive), relative to the blob. */
  start: number;
  end: number;
  /** Check the bytes against this digest (a whole blob only). */
  verify?: string;
}

/**
 * Writes bytes of a blob from its file to the response, then ends it. Two
 * buffers per response alternate: one is read (and hashed) while the other
 * is being written, and neither is reused before the socket took it, so a
 * client costs 2 MiB at most and serving makes no garbage. With `verify`, the
 * last chunk is sent only once size and sha256 are confirmed: a corrupt blob
 * cuts the response (shorter than Content-Length), it is never delivered whole.
 * @throws when the file cannot be read, the bytes do not verify, or the client goes away.
 */
export async function sendBlobBody(res: ServerResponse, at: BlobExtent, range: BodyRange): Promise<void> {
  const length = range.end - range.start + 1;
  const handle = await open(at.file, "r");
  try {
    const chunk = Math.max(1, Math.min(READ_CHUNK, length));
    const buffers = [takeBuffer(chunk), takeBuffer(chunk)] as const;
    const hash = range.verify === undefined ? undefined : createHash("sha256");
    let sent = 0;
    let writing: Promise<void> = Promise.resolve();
    for (let i = 0; sent < length; i ^= 1) {
      const buffer = buffers[i] ?? buffers[0];
      const want = Math.min(chunk, length - sent);
      const [bytes] = await Promise.all([
        readExactly(handle, buffer, want, at.offset + range.start + sent),
        writing,
      ]);
      hash?.update(bytes);
      sent += bytes.length;
      if (sent === length && hash !== undefined) checkDigest(hash, range.verify ?? "");
      writing = writeChunk(res, bytes);
    }
    if (length === 0 && hash !== undefined) checkDigest(hash, range.verify ?? "");
    await writing;
    res.end();
    buffers.forEach(giveBuffer);
  } finally {
    await handle.close();
  }
}

/** Full-size read buffers no response is using; bounded, so a burst of clients is not kept forever. */
const freeBuffers: Buffer[] = [];
const MAX_FREE_BUFFERS = 32;

function takeBuffer(size: number): Buffer {
  if (size < READ_CHUNK) return Buffer.allocUnsafe(size);
  return freeBuffers.pop() ?? Buffer.allocUnsafeSlow(READ_CHUNK);
}

/** Only after the response ended: on an error path a write may still hold the buffer, so it is dropped. */
function giveBuffer(buffer: Buffer): void {
  if (buffer.length === READ_CHUNK && freeBuffers.length < MAX_FREE_BUFFERS) freeBuffers.push(buffer);
}

async function readExactly(
  handle: FileHandle,
  buffer: Buffer,
  want: number,
  position: number,
): Promise<Buffer> {
  let done = 0;
  while (done < want) {
    const { bytesRead } = await handle.read(buffer, done, want - done, position + done);
    if (bytesRead === 0) {
      throw new AirlockError("ERR_BUNDLE_CORRUPT", `the file ends early (truncated?); the response was cut`);
    }
    done += bytesRead;
  }
  return buffer.subarray(0, want);
}

function checkDigest(hash: Hash, digest: string): void {
  const actual = `sha256:${hash.digest("hex")}`;
  if (actual !== digest) {
    throw new AirlockError(
      "ERR_DIGEST_MISMATCH",
      `blob ${digest} in the sources is corrupt (its bytes hash to ${actual}); the response was cut`,
    );
  }
}

/** Resolves once the socket took the chunk (so its buffer may be reused); rejects if the client is gone. */
function writeChunk(res: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (res.destroyed) {
      reject(clientGone());
      return;
    }
    const onClose = (): void => reject(clientGone());
    res.once("close", onClose);
    res.write(chunk, (err) => {
      res.off("close", onClose);
      if (err === undefined || err === null) resolve();
      else reject(err);
    });
  });
}

function clientGone(): Error {
  return Object.assign(new Error("the client closed the connection"), { code: "ERR_STREAM_PREMATURE_CLOSE" });
}
