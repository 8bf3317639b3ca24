import { describeContent } from "./counts.js";
import type { SingleBar } from "cli-progress";
import { formatBytes } from "../plan/diff-format.js";
import type { BundleEvent } from "../verbs/create-bundle.js";

const PLAIN_INTERVAL_MS = 5_000;

/**
 * Renders create-bundle's events: a bar (bytes, active downloads) on a
 * terminal, a line every few seconds otherwise, nothing with --quiet.
 */
export async function bundleProgress(
  stderr: NodeJS.WritableStream,
  quiet: boolean,
): Promise<{ onEvent: (e: BundleEvent) => void; stop: () => void }> {
  const say = (line: string): void => void stderr.write(line + "\n");
  if (quiet) return { onEvent: () => undefined, stop: () => undefined };
  const tty = (stderr as NodeJS.WriteStream).isTTY === true;
  const bar = tty ? await terminalBar(stderr) : undefined;
  let phase = "";
  let last = 0;
  const show = (name: string, done: number, total: number, active: string): void => {
    if (bar) {
      if (phase !== name) {
        if (phase !== "") bar.stop();
        bar.start(total, done, { phase: name, done: formatBytes(done), total: formatBytes(total), active });
      }
      bar.update(done, { done: formatBytes(done), total: formatBytes(total), active });
    } else if (phase !== name || Date.now() - last >= PLAIN_INTERVAL_MS || done === total) {
      last = Date.now();
      say(`${name}: ${formatBytes(done)} of ${formatBytes(total)}${active ? ` (${active})` : ""}`);
    }
    phase = name;
  };
  return {
    onEvent(e) {
      if (e.type === "preflight") {
        say(
          `carrying ${describeContent(e)}, ${formatBytes(e.bytes)} -> ${e.output} (${formatBytes(e.tarBytes)})`,
        );
      } else if (e.type === "fetch") {
        show("downloading", e.bytesDone, e.bytesTotal, `${e.active} active, ${e.cached} cached`);
      } else {
        show("writing", e.bytesDone, e.bytesTotal, "");
      }
    },
    stop() {
      bar?.stop();
    },
  };
}

/** The bar for a terminal; cli-progress is loaded only then. */
async function terminalBar(stderr: NodeJS.WritableStream): Promise<SingleBar> {
  const { default: cliProgress } = await import("cli-progress");
  return new cliProgress.SingleBar({
    stream: stderr,
    format: "{phase} [{bar}] {done}/{total} {active}",
    hideCursor: true,
    clearOnComplete: true,
  });
}
