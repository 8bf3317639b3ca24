import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { describe, it } from "node:test";
import { withLinkedSignal } from "../../src/util/linked-signal.js";

describe("withLinkedSignal", () => {
  it("gives the call its own signal, listens once on the caller's and stops listening when done", async () => {
    const outer = new AbortController();
    await withLinkedSignal({ signal: outer.signal }, ({ signal }) => {
      assert.ok(signal !== undefined && signal !== outer.signal);
      for (let i = 0; i < 50; i++) signal.addEventListener("abort", () => undefined);
      assert.equal(getEventListeners(outer.signal, "abort").length, 1);
      return Promise.resolve();
    });
    assert.equal(getEventListeners(outer.signal, "abort").length, 0);
  });

  it("aborts the call's signal with the caller's reason, also when it had fired before", async () => {
    const outer = new AbortController();
    const reason = new Error("stop");
    const seen = await withLinkedSignal({ signal: outer.signal }, ({ signal }) => {
      outer.abort(reason);
      return Promise.resolve(signal?.reason as unknown);
    });
    assert.equal(seen, reason);
    const early = await withLinkedSignal({ signal: outer.signal }, ({ signal }) =>
      Promise.resolve(signal?.aborted),
    );
    assert.equal(early, true);
    assert.equal(getEventListeners(outer.signal, "abort").length, 0);
  });

  it("without a signal runs with the options as given", async () => {
    const options: { signal?: AbortSignal; concurrency: number } = { concurrency: 2 };
    assert.equal(await withLinkedSignal(options, (o) => Promise.resolve(o)), options);
  });
});
