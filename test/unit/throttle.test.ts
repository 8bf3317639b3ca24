import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { reachedTotal, throttleEvents } from "../../src/util/throttle.js";

type Event =
  | { type: "fetch"; bytesDone: number; bytesTotal: number }
  | { type: "write"; bytesDone: number; bytesTotal: number }
  | { type: "image"; name: string };

/** A throttle on a clock the test moves by hand, and what it delivered. */
function harness(intervalMs = 100): {
  emit: (e: Event) => void;
  flush: () => void;
  tick: (ms: number) => void;
  got: Event[];
} {
  let clock = 1_000;
  const got: Event[] = [];
  const t = throttleEvents<Event>((e) => got.push(e), {
    frequent: (e) => e.type !== "image",
    final: reachedTotal,
    intervalMs,
    now: () => clock,
  });
  return { ...t, tick: (ms) => void (clock += ms), got };
}

const fetch = (bytesDone: number, bytesTotal = 1000): Event => ({ type: "fetch", bytesDone, bytesTotal });
const write = (bytesDone: number, bytesTotal = 1000): Event => ({ type: "write", bytesDone, bytesTotal });

describe("throttleEvents", () => {
  it("hands on at most one byte count per interval, the first at once", () => {
    const h = harness();
    for (let i = 1; i <= 50; i++) {
      h.emit(fetch(i * 10));
      h.tick(10); // 50 events in 500 ms
    }
    assert.deepEqual(
      h.got.map((e) => (e.type === "fetch" ? e.bytesDone : -1)),
      [10, 110, 210, 310, 410],
    );
  });

  it("delivers the count held back on flush, and nothing twice", () => {
    const h = harness();
    h.emit(fetch(1));
    h.tick(5);
    h.emit(fetch(2));
    h.emit(fetch(3));
    assert.equal(h.got.length, 1);
    h.flush();
    assert.deepEqual(h.got, [fetch(1), fetch(3)]);
    h.flush();
    assert.equal(h.got.length, 2);
  });

  it("a count that reaches its total goes through at once", () => {
    const h = harness();
    h.emit(fetch(1));
    h.emit(fetch(500));
    h.emit(fetch(1000));
    assert.deepEqual(h.got, [fetch(1), fetch(1000)]);
  });

  it("discrete events pass at once and in order: the count held back goes first", () => {
    const h = harness();
    h.emit(fetch(1));
    h.emit(fetch(2));
    h.emit({ type: "image", name: "a" });
    h.emit({ type: "image", name: "b" });
    h.emit(fetch(3));
    assert.deepEqual(h.got, [fetch(1), fetch(2), { type: "image", name: "a" }, { type: "image", name: "b" }]);
    h.tick(100);
    h.emit(fetch(4));
    assert.deepEqual(h.got.at(-1), fetch(4));
  });

  it("a new phase's first count is not delayed, and the old phase's last count comes before it", () => {
    const h = harness();
    h.emit(fetch(1));
    h.emit(fetch(900));
    h.emit(write(1));
    h.emit(write(2));
    assert.deepEqual(h.got, [fetch(1), fetch(900), write(1)]);
    h.flush();
    assert.deepEqual(h.got.at(-1), write(2));
  });

  it("many events in one instant become two: the first and, on flush, the last", () => {
    const h = harness();
    for (let i = 1; i < 1000; i++) h.emit(fetch(i));
    h.flush();
    assert.deepEqual(h.got, [fetch(1), fetch(999)]);
  });

  it("without a listener it does nothing", () => {
    const t = throttleEvents<Event>(undefined, { frequent: () => true });
    t.emit(fetch(1));
    t.flush();
  });
});
