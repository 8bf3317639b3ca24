export interface Progress {
  update(done: number, total: number, label: string): void;
  stop(): void;
}

/**
 * A progress bar on stderr when it is a terminal; silent otherwise (the summary line says it all).
 * cli-progress is loaded only for a terminal.
 */
export async function createProgress(stderr: NodeJS.WritableStream, title: string): Promise<Progress> {
  const tty = (stderr as NodeJS.WriteStream).isTTY === true;
  if (!tty) return { update: () => undefined, stop: () => undefined };
  const { default: cliProgress } = await import("cli-progress");
  const bar = new cliProgress.SingleBar(
    {
      stream: stderr,
      format: `${title} [{bar}] {value}/{total} {label}`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, label) {
      if (!started) {
        bar.start(total, 0, { label: "" });
        started = true;
      }
      bar.setTotal(total);
      bar.update(done, { label });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
