import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { Meter, formatSeconds } from "../../src/cli/progress-meter.js";
import { PlainProgress, plainLine } from "../../src/cli/progress-plain.js";

const MiB = 1024 * 1024;

/** A meter on a clock the test moves. */
function meterAt(phase = "fetching"): { meter: Meter; tick: (ms: number) => void } {
  let clock = 10_000;
  return { meter: new Meter(phase, "bytes", () => clock), tick: (ms) => void (clock += ms) };
}

describe("progress meter", () => {
  it("human units on both sides, whole percent, rate and ETA once it can tell", () => {
    const { meter, tick } = meterAt();
    meter.record(0, 40 * MiB);
    assert.equal(plainLine(meter), "fetching: 0 B / 40.0 MiB (0%)");
    tick(1000);
    meter.record(8 * MiB, 40 * MiB, "3 active");
    assert.equal(plainLine(meter), "fetching: 8.0 MiB / 40.0 MiB (20%), 8.0 MiB/s, ETA 4s; 3 active");
  });

  it("100% only when done; the last frame has the average rate and the time taken", () => {
    const { meter, tick } = meterAt("pushing");
    meter.record(0, 10 * MiB);
    tick(2000);
    meter.record(10 * MiB - 1, 10 * MiB);
    assert.equal(meter.percent, 99);
    tick(500);
    meter.record(10 * MiB, 10 * MiB);
    assert.equal(plainLine(meter), "pushing: 10.0 MiB / 10.0 MiB (100%), 4.0 MiB/s, in 3s");
  });

  it("a stall shows as 0 B/s with no ETA; a phase that ended short has no ETA either", () => {
    const { meter, tick } = meterAt("pushing");
    meter.record(0, 10 * MiB);
    tick(1000);
    meter.record(MiB, 10 * MiB);
    tick(6000);
    assert.equal(plainLine(meter), "pushing: 1.0 MiB / 10.0 MiB (10%), 0 B/s");
    assert.equal(plainLine(meter, true), "pushing: 1.0 MiB / 10.0 MiB (10%), 1.0 MiB/s");
  });

  it("counts what was there at the start (the cache) but not in the rate", () => {
    const { meter, tick } = meterAt();
    meter.record(30 * MiB, 40 * MiB, "2 cached");
    tick(1000);
    meter.record(32 * MiB, 40 * MiB);
    assert.match(plainLine(meter), /\(80%\), 2\.0 MiB\/s, ETA 4s$/);
  });

  it("counts images for lock", () => {
    let clock = 0;
    const meter = new Meter("resolving", "images", () => clock);
    meter.record(1, 4);
    clock += 1000;
    meter.record(3, 4, "docker.io/library/busybox:1.36");
    assert.equal(
      plainLine(meter),
      "resolving: 3 / 4 images (75%), 2.0 images/s, ETA 1s; docker.io/library/busybox:1.36",
    );
  });

  it("nothing to do is complete", () => {
    const { meter } = meterAt();
    meter.record(0, 0);
    assert.equal(plainLine(meter), "fetching: 0 B / 0 B (100%), in 0s");
  });

  it("formats durations", () => {
    assert.deepEqual([0.2, 42, 245, 3720].map(formatSeconds), ["0s", "42s", "4m05s", "1h02m"]);
  });
});

describe("plain progress (no terminal)", () => {
  it("a line when a phase begins, every interval while it runs, and its last when the next begins", async () => {
    let out = "";
    const stderr = new Writable({
      write(chunk: Buffer, _e, cb) {
        out += chunk.toString();
        cb();
      },
    });
    let clock = 0;
    const progress = new PlainProgress(stderr, (phase) => new Meter(phase, "bytes", () => clock), 20);
    progress.update("fetching", 0, 4 * MiB);
    await new Promise((r) => setTimeout(r, 70));
    clock += 1000;
    progress.update("fetching", 4 * MiB, 4 * MiB);
    progress.log("a message");
    progress.update("writing", 0, 8 * MiB);
    progress.update("writing", 8 * MiB, 8 * MiB);
    progress.stop();
    progress.stop();
    const lines = out.trimEnd().split("\n");
    assert.ok(lines.length >= 5, out);
    const running = lines.slice(0, -4);
    assert.ok(
      running.every((l) => l === "fetching: 0 B / 4.0 MiB (0%)"),
      out,
    );
    assert.deepEqual(lines.slice(-4), [
      "a message",
      "fetching: 4.0 MiB / 4.0 MiB (100%), 4.0 MiB/s, in 1s",
      "writing: 0 B / 8.0 MiB (0%)",
      "writing: 8.0 MiB / 8.0 MiB (100%), in 0s",
    ]);
  });
});
