// What a bench layer holds, decided by the seed and the layer's label alone: "packages", each a
// directory of binaries (incompressible bytes from an AES-CTR keystream) and a directory of
// docs (word salad that gzip -1 shrinks about 2.8 times). The same seed and label give the same
// files, byte for byte; two labels share nothing.
import { createCipheriv, createHash, type Cipher } from "node:crypto";

const MiB = 1024 * 1024;
const CHUNK = 256 * 1024;

/** One layer's size, as MiB of each kind of file content. */
export interface LayerSpec {
  /** Names the layer; its files follow from the seed and the label alone. */
  label: string;
  /** MiB of incompressible file content (the binaries). */
  randomMiB: number;
  /** MiB of text (the docs). */
  textMiB: number;
}

/** A tar entry to write: a directory (name ends in "/") or a file of random or text bytes. */
export interface PlannedEntry {
  name: string;
  size: number;
  content: "dir" | "random" | "text";
}

/** Deterministic 32-bit generator (mulberry32), seeded from a string. */
export class Rng {
  #state: number;

  constructor(seed: string) {
    this.#state = createHash("sha256").update(seed).digest().readUInt32BE(0);
  }

  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) | 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
}

/** The entries of a layer in tar order: per package its bin/ and doc/ directories and files. */
export function* planLayer(spec: LayerSpec, rng: Rng): Generator<PlannedEntry> {
  const root = `opt/${spec.label}/`;
  yield { name: root, size: 0, content: "dir" };
  let random = Math.round(spec.randomMiB * MiB);
  let text = Math.round(spec.textMiB * MiB);
  const textPerRandom = spec.randomMiB > 0 ? spec.textMiB / spec.randomMiB : 0;
  for (let pkg = 0; random > 0 || text > 0; pkg++) {
    const binBytes = Math.min(random, rng.int(256 * 1024, 3 * MiB));
    const docBytes = Math.min(
      text,
      binBytes > 0 ? Math.ceil(binBytes * textPerRandom) : rng.int(64 * 1024, MiB),
    );
    random -= binBytes;
    text -= docBytes;
    const dir = `${root}pkg-${pkg}/`;
    yield { name: dir, size: 0, content: "dir" };
    yield* files(`${dir}bin/`, "random", binBytes, () => rng.int(16 * 1024, MiB));
    yield* files(`${dir}doc/`, "text", docBytes, () => rng.int(512, 48 * 1024));
  }
}

/** A directory and files of `kind` adding up to `bytes`, sizes drawn from `size`. */
function* files(
  dir: string,
  kind: "random" | "text",
  bytes: number,
  size: () => number,
): Generator<PlannedEntry> {
  if (bytes === 0) return;
  yield { name: dir, size: 0, content: "dir" };
  for (let n = 0, left = bytes; left > 0; n++) {
    const take = Math.min(left, size());
    yield { name: `${dir}${kind === "random" ? `lib${n}.so` : `page${n}.txt`}`, size: take, content: kind };
    left -= take;
  }
}

/** Incompressible bytes: the AES-128-CTR keystream of a key derived from the label. */
export class RandomSource {
  readonly #cipher: Cipher;
  readonly #zeros = Buffer.alloc(CHUNK);

  constructor(seed: string) {
    const key = createHash("sha256").update(`random/${seed}`).digest().subarray(0, 16);
    this.#cipher = createCipheriv("aes-128-ctr", key, Buffer.alloc(16));
  }

  /** The next `size` bytes, in chunks of at most 256 KiB. */
  *take(size: number): Generator<Buffer> {
    for (let left = size; left > 0; left -= CHUNK) {
      yield this.#cipher.update(this.#zeros.subarray(0, Math.min(CHUNK, left)));
    }
  }
}

const WORDS = (
  "the of and to in is that for it as was with be by on not he this are or his from at which but " +
  "have an they you were her she there been one all we their has would when what if can more will " +
  "so no out up into do who about than config error value server client option default return file " +
  "path system service version package library module install update network request response " +
  "string number array object function install license copyright warranty permission software"
).split(" ");

/** A megabyte of word salad for the seed: the stuff text files are cut from. */
export function textPool(seed: string): Buffer {
  const rng = new Rng(`text/${seed}`);
  const pool = Buffer.alloc(MiB);
  let at = 0;
  while (at < pool.length) {
    const word = WORDS[rng.int(0, WORDS.length - 1)] ?? "";
    const end = rng.next() < 0.08 ? "\n" : rng.next() < 0.1 ? ", " : " ";
    at += pool.write(word + end, at);
  }
  return pool;
}

/**
 * Text bytes: pieces of the pool from places drawn by `rng`. Pieces lie further apart than
 * deflate's 32 KiB window, so the text compresses like word salad, not like a repeat.
 */
export function* takeText(pool: Buffer, rng: Rng, size: number): Generator<Buffer> {
  for (let left = size; left > 0;) {
    const piece = Math.min(left, rng.int(1024, 8192));
    const from = rng.int(0, pool.length - piece);
    yield pool.subarray(from, from + piece);
    left -= piece;
  }
}
