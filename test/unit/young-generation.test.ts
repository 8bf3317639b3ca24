import assert from "node:assert/strict";
import { test } from "node:test";
import { getHeapSpaceStatistics } from "node:v8";
import { Worker } from "node:worker_threads";
import { keepYoungGenerationSmall } from "../../src/cli/young-generation.js";

function newSpaceMiB(): number {
  const space = getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
  return (space?.space_size ?? 0) / 1048576;
}

/** Allocates objects of which a third survive a while: what makes V8 grow the new space. */
function churn(): void {
  const kept: object[] = [];
  for (let i = 0; i < 3_000_000; i++) {
    const o = { i, s: `x${i}` };
    if (i % 3 === 0) kept.push(o);
    if (kept.length > 200_000) kept.length = 0;
  }
}

test("the young generation stays at its starting size, also after a worker thread starts", async () => {
  const before = newSpaceMiB();
  keepYoungGenerationSmall();
  const worker = new Worker("setTimeout(() => {}, 5000)", { eval: true });
  await new Promise((resolve) => worker.once("online", resolve));
  churn();
  const after = newSpaceMiB();
  await worker.terminate();
  // Without the flag set again after the worker's start, the new space grows to 32 MiB here.
  assert.ok(after <= Math.max(before, 4), `new space grew from ${before} MiB to ${after} MiB`);
});
