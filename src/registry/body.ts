import { AirlockError } from "../errors.js";
import type { RegistryResponse } from "./transport.js";

/** Reads a whole response body, refusing more than `max` bytes (before or while reading). */
export async function readBodyCapped(res: RegistryResponse, max: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers["content-length"]);
  if (Number.isFinite(declared) && declared > max) {
    res.body.destroy();
    throw new AirlockError(
      "ERR_TOO_LARGE",
      `${what} is ${declared} bytes, more than the ${max} airlock accepts`,
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      res.body.destroy();
      throw new AirlockError("ERR_TOO_LARGE", `${what} is more than the ${max} bytes airlock accepts`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
