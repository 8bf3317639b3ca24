#!/usr/bin/env node
import { runCli } from "./run.js";

const controller = new AbortController();
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
