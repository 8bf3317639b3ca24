import { Transform, pipeline, type Readable } from "node:stream";

/**
 * `source` as it is, telling `onBytes` the length of each chunk that goes
 * by; an error (or destruction) of the source reaches the returned stream.
 */
export function countedStream(source: Readable, onBytes: (n: number) => void): Readable {
  const counter = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      onBytes(chunk.length);
      callback(null, chunk);
    },
  });
  return pipeline(source, counter, () => undefined);
}
