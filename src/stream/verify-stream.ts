import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { AirlockError } from "../errors.js";
import { parseDigest } from "../oci/digest.js";

export interface ExpectedContent {
  digest: string;
  size: number;
  /** Named in errors, e.g. "blob sha256:… from host/repo". */
  what?: string;
}

/**
 * A pass-through stream that fails unless exactly `size` bytes whose sha256
 * is `digest` flow through it. An overrun fails at once, before the extra
 * bytes are passed on; a short or wrong body fails at the end.
 */
export class VerifyStream extends Transform {
  readonly #expected: ExpectedContent;
  readonly #hash = createHash("sha256");
  readonly #hex: string;
  #received = 0;

  constructor(expected: ExpectedContent) {
    super();
    this.#expected = expected;
    this.#hex = parseDigest(expected.digest).hex;
  }

  get bytesVerified(): number {
    return this.#received;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#received += chunk.length;
    if (this.#received > this.#expected.size) {
      callback(this.#sizeError());
      return;
    }
    this.#hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.#received !== this.#expected.size) {
      callback(this.#sizeError());
      return;
    }
    const actual = this.#hash.digest("hex");
    if (actual !== this.#hex) {
      callback(
        new AirlockError(
          "ERR_DIGEST_MISMATCH",
          `${this.#what()}: content has digest sha256:${actual}, expected ${this.#expected.digest}`,
        ),
      );
      return;
    }
    callback();
  }

  #what(): string {
    return this.#expected.what ?? `content ${this.#expected.digest}`;
  }

  #sizeError(): AirlockError {
    const got = this.#received > this.#expected.size ? `more than ${this.#expected.size}` : this.#received;
    return new AirlockError(
      "ERR_SIZE_MISMATCH",
      `${this.#what()}: received ${got} bytes, expected ${this.#expected.size}`,
    );
  }
}
