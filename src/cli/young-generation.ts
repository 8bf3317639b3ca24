/**
 * Keeps V8's young generation at its starting size (1 MiB per semi-space) for the whole run,
 * also under plain `node dist/airlock.mjs`, which has no shebang to pass `--max-semi-space-size`.
 *
 * Blobs stream through in buffers that die young. V8 grows the new space (to 16 MiB per
 * semi-space) once enough has survived its scavenges, which locking alone does; the larger new
 * space is then scavenged less often, and the dead 64 KiB socket-read buffers it still points to
 * pile up until V8's external-memory limit, some 20 MiB of peak RSS in all. V8 reads the growth
 * factor each time it would grow, so a factor of 1 stops the growth; but every new isolate sets a
 * factor below 2 back to 2, so it is set again once each worker thread has started.
 */
import { setFlagsFromString } from "node:v8";
import type { Worker } from "node:worker_threads";

const FLAG = "--semi-space-growth-factor=1";

/** Applies the flag now and after every worker thread's start, for the rest of the process. */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString(FLAG);
  process.on("worker", (worker: Worker) => {
    worker.once("online", () => setFlagsFromString(FLAG));
  });
}
