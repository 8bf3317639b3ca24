import { once } from "node:events";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/** Writes data to a stream, waiting for it to drain. */
export async function writeOut(out: NodeJS.WritableStream, data: string | Uint8Array): Promise<void> {
  if (!out.write(data)) await once(out, "drain");
}

/** Writes each line followed by a newline. */
export async function writeLines(out: NodeJS.WritableStream, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  await writeOut(out, lines.join("\n") + "\n");
}

/** Streams a body to the output without ending it (stdout must stay open). */
export async function streamOut(source: Readable, out: NodeJS.WritableStream): Promise<void> {
  await pipeline(source, out, { end: false });
}

/** --json: the value as indented JSON, one document. */
export async function writeJson(out: NodeJS.WritableStream, value: unknown): Promise<void> {
  await writeOut(out, JSON.stringify(value, null, 2) + "\n");
}
