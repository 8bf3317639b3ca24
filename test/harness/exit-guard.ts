/**
 * A last-resort cleanup run on process 'exit', so a test run that forgets a
 * stop() (or dies on an assertion) never leaves registries or temp dirs behind.
 * Handlers must be synchronous; they run newest first.
 */
const handlers = new Set<() => void>();
let installed = false;

/** Registers `handler` for process exit; call the returned function to unregister it. */
export function onProcessExit(handler: () => void): () => void {
  if (!installed) {
    process.once("exit", runHandlers);
    installed = true;
  }
  handlers.add(handler);
  return () => {
    handlers.delete(handler);
  };
}

function runHandlers(): void {
  for (const handler of [...handlers].reverse()) {
    try {
      handler();
    } catch {
      // best effort: keep cleaning up
    }
  }
  handlers.clear();
}
