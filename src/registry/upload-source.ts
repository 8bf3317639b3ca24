import { pipeline, type Readable } from "node:stream";
import { AirlockError, messageOf } from "../errors.js";
import { VerifyStream, type ExpectedContent } from "../stream/verify-stream.js";

/** Opens a fresh stream of a blob's bytes; called again when an upload starts over. */
export type OpenSource = () => Readable | Promise<Readable>;

/**
 * The source's bytes, checked by a VerifyStream as they leave. The last piece
 * is held back until the whole content has been verified, so a wrong or short
 * source never delivers a complete body: a registry can never commit it.
 */
export async function* verifiedPieces(open: OpenSource, expected: ExpectedContent): AsyncGenerator<Buffer> {
  let source: Readable;
  try {
    source = await open();
  } catch (err) {
    throw sourceFailed(expected, err);
  }
  const verifier = new VerifyStream(expected);
  pipeline(source, verifier, () => undefined);
  let held: Buffer | undefined;
  try {
    for await (const piece of verifier as AsyncIterable<Buffer>) {
      if (held !== undefined) yield held;
      held = piece;
    }
    if (held !== undefined) yield held;
  } catch (err) {
    throw sourceFailed(expected, err);
  } finally {
    verifier.destroy();
    source.destroy();
  }
}

/**
 * Verification errors pass unchanged; a failure of the source itself says
 * so, lest the upload request carrying it be blamed (or retried as if the
 * registry had cut the connection).
 */
function sourceFailed(expected: ExpectedContent, err: unknown): AirlockError {
  if (err instanceof AirlockError) return err;
  const what = expected.what ?? expected.digest;
  return new AirlockError("ERR_FILE", `${what}: reading the source failed: ${messageOf(err)}`, {
    cause: err,
  });
}

/** The whole verified content in memory; only for small blobs. */
export async function readVerified(open: OpenSource, expected: ExpectedContent): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of verifiedPieces(open, expected)) pieces.push(piece);
  return Buffer.concat(pieces);
}

/** Counts the bytes that flow through, reporting the running total. */
export async function* countBytes(
  pieces: AsyncIterable<Buffer>,
  onBytes: ((total: number) => void) | undefined,
): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const piece of pieces) {
    yield piece;
    total += piece.length;
    onBytes?.(total);
  }
}

/**
 * Cuts a stream of pieces into chunks of a requested size, copying into one
 * buffer per chunk: memory is bounded by the chunk size, whatever the
 * pieces' sizes.
 */
export class ChunkReader {
  readonly #pieces: AsyncIterator<Buffer>;
  readonly #what: string;
  #rest: Buffer = Buffer.alloc(0);

  constructor(pieces: AsyncIterable<Buffer>, what: string) {
    this.#pieces = pieces[Symbol.asyncIterator]();
    this.#what = what;
  }

  /** Exactly `size` bytes; the source ending sooner is an error. */
  async read(size: number): Promise<Buffer> {
    const chunk = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      if (this.#rest.length === 0) {
        const next = await this.#pieces.next();
        if (next.done === true) {
          throw new AirlockError("ERR_SIZE_MISMATCH", `${this.#what}: the source ended early`);
        }
        this.#rest = next.value;
      }
      const take = Math.min(size - filled, this.#rest.length);
      this.#rest.copy(chunk, filled, 0, take);
      this.#rest = this.#rest.subarray(take);
      filled += take;
    }
    return chunk;
  }

  /** Stops reading and releases the source. */
  async close(): Promise<void> {
    await this.#pieces.return?.();
  }
}
