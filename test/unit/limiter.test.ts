import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Limiter } from "../../src/util/limiter.js";

describe("Limiter", () => {
  it("runs at most `limit` tasks, then the waiting ones highest priority first, in arrival order among equals", async () => {
    const limiter = new Limiter(1);
    const order: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const task = (name: string, wait?: Promise<void>) => async (): Promise<void> => {
      order.push(name);
      await wait;
    };
    const all = [
      limiter.run(task("first", gate), 0),
      limiter.run(task("small", undefined), 1),
      limiter.run(task("large", undefined), 100),
      limiter.run(task("medium-a", undefined), 50),
      limiter.run(task("medium-b", undefined), 50),
    ];
    await Promise.resolve();
    assert.deepEqual(order, ["first"]);
    release();
    await Promise.all(all);
    assert.deepEqual(order, ["first", "large", "medium-a", "medium-b", "small"]);
  });
});
