/**
 * A stream's bytes gathered into 512 KiB buffers and written, each buffer to
 * every place at once, by position: a download's 16–64 KiB chunks become a
 * few large writes instead of one write per chunk and per place (each write
 * a trip through libuv's thread pool), and no stream sits between the wire
 * and the file. Buffers are reused across streams.
 */
import type { Readable } from "node:stream";

/** Writes `data` at byte `at` of one place (a tar slot, a cache file). */
export type PositionalWrite = (data: Buffer, at: number) => Promise<void>;

const GATHER = 512 * 1024;
/** Buffers kept for later streams (8 MiB); more are left to the GC. */
const SPARE_MAX = 16;
const spare: Buffer[] = [];

/**
 * Reads `source` to its end, writing its bytes at 0, 1, … of every one of
 * `places` in 512 KiB writes, one buffer in flight while the next fills;
 * `onBytes` hears each chunk as it arrives. Returns the bytes written. A
 * failure of the source or of a write is thrown once the writes under way
 * have settled (so no buffer is reused while a write still reads it).
 */
export async function gatherInto(
  source: Readable,
  places: readonly PositionalWrite[],
  onBytes?: (n: number) => void,
): Promise<number> {
  let buffer = take();
  let filled = 0;
  let position = 0;
  let inFlight: Promise<void> | undefined;
  const flush = async (): Promise<void> => {
    const data = buffer.subarray(0, filled);
    const at = position;
    position += filled;
    const previous = inFlight;
    if (previous !== undefined) await previous;
    const writing = Promise.all(places.map((write) => write(data, at))).then(() => undefined);
    const done = buffer;
    inFlight = writing.finally(() => give(done));
    inFlight.catch(() => undefined); // thrown where it is awaited, not as an unhandled rejection
    buffer = take();
    filled = 0;
  };
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      onBytes?.(chunk.length);
      for (let used = 0; used < chunk.length;) {
        const n = chunk.copy(buffer, filled, used);
        used += n;
        filled += n;
        if (filled === buffer.length) await flush();
      }
    }
    if (filled > 0) await flush();
    await inFlight;
    return position;
  } catch (err) {
    source.destroy();
    await inFlight?.catch(() => undefined);
    throw err;
  } finally {
    give(buffer);
  }
}

function take(): Buffer {
  return spare.pop() ?? Buffer.allocUnsafeSlow(GATHER);
}

function give(buffer: Buffer): void {
  if (spare.length < SPARE_MAX && !spare.includes(buffer)) spare.push(buffer);
}
