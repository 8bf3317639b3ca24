// Writes one bench layer: a tar of the files layer-content.ts plans, gzip-compressed into a file,
// with the digests an image needs: the blob's (sha256 of the gzip) and its diff_id (sha256 of the
// tar). One gzip stream, whose level changes with the content: stored blocks (level 0) for the
// binaries, which is what any level ends up writing for incompressible bytes, without the search
// for matches that would cost most of the CPU, and level 1 for the text and the tar headers.
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { constants, createGzip, type Gzip, type ZlibParams } from "node:zlib";
import { END_OF_ARCHIVE, padding, ustarHeader } from "./layer-tar.js";
import { RandomSource, Rng, planLayer, takeText, type LayerSpec } from "./layer-content.js";

/** A written layer: the gzip blob's digest and size, and the tar's digest. */
export interface LayerBlob {
  digest: string;
  size: number;
  diffId: string;
}

const TEXT_LEVEL = 1;
const STORED_LEVEL = 0;

/** Writes the layer `spec` for `seed` into `file` (the pool: textPool(seed)). */
export async function writeLayerFile(
  spec: LayerSpec,
  seed: string,
  pool: Buffer,
  file: string,
): Promise<LayerBlob> {
  // Every zlib stream has params() (Node's docs); @types/node declares it on Deflate only.
  const gzip = createGzip({ level: TEXT_LEVEL }) as Gzip & ZlibParams;
  const blob = hashTap();
  const written = pipeline(gzip, blob.tap, createWriteStream(file));
  const tar = createHash("sha256");
  const out = new LayerOutput(gzip, tar);
  const rng = new Rng(`${seed}/${spec.label}`);
  const random = new RandomSource(`${seed}/${spec.label}`);
  for (const entry of planLayer(spec, rng)) {
    await out.level(entry.content === "random" ? STORED_LEVEL : TEXT_LEVEL);
    await out.write(ustarHeader(entry.name, entry.size));
    if (entry.content === "dir") continue;
    const chunks = entry.content === "random" ? random.take(entry.size) : takeText(pool, rng, entry.size);
    for (const chunk of chunks) await out.write(chunk);
    await out.write(padding(entry.size));
  }
  await out.level(TEXT_LEVEL);
  await out.write(END_OF_ARCHIVE);
  gzip.end();
  await written;
  return { digest: blob.digest(), size: blob.size(), diffId: `sha256:${tar.digest("hex")}` };
}

/** The gzip stream's input side: hashes the tar as it goes in, honours backpressure, switches level. */
class LayerOutput {
  readonly #gzip: Gzip & ZlibParams;
  readonly #tar: ReturnType<typeof createHash>;
  #level = TEXT_LEVEL;

  constructor(gzip: Gzip & ZlibParams, tar: ReturnType<typeof createHash>) {
    this.#gzip = gzip;
    this.#tar = tar;
  }

  async write(bytes: Buffer): Promise<void> {
    if (bytes.length === 0) return;
    this.#tar.update(bytes);
    if (!this.#gzip.write(bytes)) await once(this.#gzip, "drain");
  }

  /** Flushes what was written at the old level (a sync flush), then compresses at `level`. */
  async level(level: number): Promise<void> {
    if (level === this.#level) return;
    this.#level = level;
    await new Promise<void>((resolve) => this.#gzip.params(level, constants.Z_DEFAULT_STRATEGY, resolve));
  }
}

/** A pass-through that hashes and counts the gzip bytes on their way to the file. */
function hashTap(): { tap: Transform; digest: () => string; size: () => number } {
  const hash = createHash("sha256");
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  return { tap, digest: () => `sha256:${hash.digest("hex")}`, size: () => size };
}
