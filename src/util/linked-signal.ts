/**
 * One caller's AbortSignal, many requests: a verb that runs requests, pipelines and retry waits
 * in parallel would add an abort listener per piece of work to the caller's signal (and Node
 * warns past ten, MaxListenersExceededWarning). Instead the verb listens once and hands its own
 * signal, which has no listener limit, to everything it does.
 */

import { setMaxListeners } from "node:events";

/**
 * Runs `run` with `options.signal` replaced by a signal of the call's own that aborts (with the
 * same reason) when the caller's does. The one listener on the caller's signal is removed when
 * `run` settles, so a signal shared by many calls in turn collects none.
 */
export async function withLinkedSignal<O extends { signal?: AbortSignal }, R>(
  options: O,
  run: (options: O) => Promise<R>,
): Promise<R> {
  const outer = options.signal;
  if (outer === undefined) return await run(options);
  const inner = new AbortController();
  setMaxListeners(0, inner.signal); // 0: no limit; the listeners are this call's own
  const follow = (): void => inner.abort(outer.reason);
  if (outer.aborted) follow();
  else outer.addEventListener("abort", follow, { once: true });
  try {
    return await run({ ...options, signal: inner.signal });
  } finally {
    outer.removeEventListener("abort", follow);
  }
}
