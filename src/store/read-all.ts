import type { Readable } from "node:stream";
import { AirlockError } from "../errors.js";
import { MAX_MANIFEST_BYTES } from "../oci/manifest.js";

/** A small stream (a manifest, a config) whole in memory, refused above `max` bytes. */
export async function readAllCapped(
  stream: Readable,
  what: string,
  max: number = MAX_MANIFEST_BYTES,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      stream.destroy();
      throw new AirlockError("ERR_TOO_LARGE", `${what} is more than the ${max} bytes airlock reads`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Refuses a descriptor too large to hold in memory. */
export function checkSmall(size: number, what: string, max: number = MAX_MANIFEST_BYTES): void {
  if (size > max) {
    throw new AirlockError("ERR_TOO_LARGE", `${what} is ${size} bytes, more than the ${max} airlock reads`);
  }
}
