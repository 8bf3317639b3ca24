#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=2
// The young generation is capped at 2 MiB per semi-space: blobs stream through in buffers that die
// young, and a smaller new space returns them to the system at once instead of holding ~60 MiB.
// (keepYoungGenerationSmall below does the same from inside, for `node dist/airlock.mjs`, which
// runs without this line.)
// glibc gets two malloc arenas instead of one per thread (V8's, libuv's and the hashing workers'):
// each thread's arena kept 2 to 4 MiB it no longer used, 15 to 20 MiB of create-bundle's peak RSS.
import { setMaxListeners } from "node:events";
import { runCli } from "./run.js";
import { keepYoungGenerationSmall } from "./young-generation.js";

keepYoungGenerationSmall();

const controller = new AbortController();
// Every request of a run listens to this one signal.
setMaxListeners(0, controller.signal);
// The first Ctrl-C cancels cleanly (no half-written files); a second one exits at once.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  });
}
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  // A closed pipe (airlock blob … | head) is not an error worth a trace.
  if (err.code === "EPIPE") process.exit(0);
});

const code = await runCli(process.argv.slice(2), process, controller.signal);
process.exitCode = code;
