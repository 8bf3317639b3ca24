/**
 * Assertions for fault tests: read a stream whole or up to its error, match
 * an AirlockError code, pick the nth recorded item, and look for secrets in
 * an error (message, cause chain, inspection) and in log lines.
 */
import assert from "node:assert/strict";
import type { Readable } from "node:stream";
import { inspect } from "node:util";
import { AirlockError } from "../../src/errors.js";

/** The item at `index`, failing the test when there is none. */
export function nth<T>(list: readonly T[], index: number): T {
  const item = list[index];
  assert.ok(item !== undefined, `expected at least ${index + 1} items, got ${list.length}`);
  return item;
}

/** Every byte of a stream that must succeed. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Reads until the stream fails; returns what arrived before and the error. */
export async function readUntilError(stream: Readable): Promise<{ received: Buffer; error: unknown }> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk as Buffer);
  } catch (error) {
    return { received: Buffer.concat(chunks), error };
  }
  assert.fail("the stream ended without an error");
}

/** A validator for assert.rejects/throws: an AirlockError with `code`. */
export function hasCode(code: string): (err: unknown) => true {
  return (err) => {
    assert.ok(err instanceof AirlockError, `expected an AirlockError, got ${inspect(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  };
}

/** The error rejected by `promise`, failing the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return await promise.then(
    () => assert.fail("expected a rejection"),
    (err: unknown) => err,
  );
}

/** Fails if any secret appears in the error (message, stack, cause chain, inspection) or in `lines`. */
export function assertNoSecrets(error: unknown, lines: readonly string[], secrets: readonly string[]): void {
  const texts: string[] = [inspect(error, { depth: 10 }), ...lines];
  let e: unknown = error;
  for (let depth = 0; e instanceof Error && depth < 10; depth++, e = e.cause)
    texts.push(e.message, e.stack ?? "");
  for (const text of texts) {
    for (const secret of secrets) assert.ok(!text.includes(secret), `a secret leaked into: ${text}`);
  }
}
