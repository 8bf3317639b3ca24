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

/** A PlainProgress writing into a string, on a clock the test moves. */
function plain(intervalMs: number): {
  progress: PlainProgress;
  out: () => string;
  tick: (ms: number) => void;
} {
  let out = "";
  const stderr = new Writable({
    write(chunk: Buffer, _e, cb) {
      out += chunk.toString();
      cb();
    },
  });
  let clock = 0;
  const progress = new PlainProgress(stderr, (phase) => new Meter(phase, "bytes", () => clock), intervalMs);
  return { progress, out: () => out, tick: (ms) => void (clock += ms) };
}

describe("plain progress (no terminal)", () => {
  it("a line every interval while a phase runs, and its last when the next begins", async () => {
    const { progress, out, tick } = plain(20);
    progress.update("fetching", 0, 4 * MiB);
    await new Promise((r) => setTimeout(r, 70));
    tick(1000);
    progress.update("fetching", 4 * MiB, 4 * MiB);
    progress.log("a message");
    progress.update("writing", 0, 8 * MiB);
    progress.update("writing", 8 * MiB, 8 * MiB);
    progress.stop();
    progress.stop();
    const lines = out().trimEnd().split("\n");
    const running = lines.slice(0, -3);
    assert.ok(running.length >= 1, out());
    assert.ok(
      running.every((l) => l === "fetching: 0 B / 4.0 MiB (0%)"),
      out(),
    );
    assert.deepEqual(lines.slice(-3), [
      "a message",
      "fetching: 4.0 MiB / 4.0 MiB (100%), 4.0 MiB/s, in 1s",
      "writing: 8.0 MiB / 8.0 MiB (100%), in 0s",
    ]);
  });

  it("a failure before any line leaves the error alone; after one, the last line says where it stopped", async () => {
    const quick = plain(60_000);
    quick.progress.update("verifying", MiB, 4 * MiB);
    quick.progress.stop({ failed: true });
    assert.equal(quick.out(), "");

    const long = plain(20);
    long.progress.update("pushing", 0, 4 * MiB);
    await new Promise((r) => setTimeout(r, 30));
    long.tick(1000);
    long.progress.update("pushing", MiB, 4 * MiB);
    long.progress.stop({ failed: true });
    assert.equal(long.out().trimEnd().split("\n").at(-1), "pushing: 1.0 MiB / 4.0 MiB (25%), 1.0 MiB/s");
  });

  it("a phase that completes without a line shows its last line, unless the work failed after all", () => {
    const done = plain(60_000);
    done.progress.update("copying", 4 * MiB, 4 * MiB);
    done.progress.stop();
    assert.equal(done.out(), "copying: 4.0 MiB / 4.0 MiB (100%), in 0s\n");
    const failed = plain(60_000);
    failed.progress.update("resolving", 4, 4);
    failed.progress.stop({ failed: true });
    assert.equal(failed.out(), "");
  });
});
