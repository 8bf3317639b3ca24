/**
 * Which entries of a bundle's partial tar are complete, kept beside it as
 * `<partial>.journal`, so that a re-run after Ctrl-C, a failure or a crash
 * keeps them instead of downloading them again. The first line names the
 * layout (every entry's name, size and offset, hashed): a journal of another
 * layout starts over. Then one entry name per line, appended once the entry
 * is written (header, data and padding). The journal is not synced: a
 * re-run checks each entry it names (the caller hashes it) before keeping
 * it, so a line that outlived its data after a power loss costs a download,
 * never a wrong bundle.
 */
import { createHash } from "node:crypto";
import { open, readFile, rm, stat, type FileHandle } from "node:fs/promises";
import type { TarLayout } from "../store/tar-layout.js";

const MAGIC = "airlock-partial-tar 1";

/** Names a layout: the same entries at the same offsets give the same id. */
export function layoutId(layout: TarLayout): string {
  const hash = createHash("sha256");
  for (const s of layout.slots) hash.update(`${s.name}\0${s.size}\0${s.headerOffset}\n`);
  return hash.digest("hex");
}

export class TarJournal {
  readonly file: string;
  readonly #handle: FileHandle;
  #queue: Promise<void> = Promise.resolve();
  #recorded = 0;

  private constructor(file: string, handle: FileHandle) {
    this.file = file;
    this.#handle = handle;
  }

  /**
   * Opens the journal of `partial` for `layout`: the entries an earlier run
   * completed (none when there was no journal, or one of another layout,
   * which is started over).
   */
  static async open(partial: string, layout: TarLayout): Promise<{ journal: TarJournal; done: string[] }> {
    const file = `${partial}.journal`;
    const head = `${MAGIC} ${layoutId(layout)}`;
    const lines = (await readFile(file, "utf8").catch(() => "")).split("\n");
    // The last line may be cut short by a crash: only whole lines count.
    const whole = lines.slice(1, -1).filter((name) => layout.slot(name) !== undefined);
    const kept = lines[0] === head && (await stat(partial).catch(() => undefined)) !== undefined;
    const done = kept ? [...new Set(whole)] : [];
    const handle = await open(file, done.length > 0 ? "a" : "w");
    const journal = new TarJournal(file, handle);
    if (done.length === 0) await handle.write(`${head}\n`);
    else if (lines.at(-1) !== "") await handle.write("\n"); // after a line cut short
    return { journal, done };
  }

  /** Entries noted by this run. */
  get recorded(): number {
    return this.#recorded;
  }

  /** Notes that `name` is complete (appended after the notes before it). */
  record(name: string): Promise<void> {
    this.#recorded++;
    const next = this.#queue.then(async () => {
      await this.#handle.write(`${name}\n`);
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.#queue;
    await this.#handle.close().catch(() => undefined);
  }

  /** Closes and removes it: the tar is complete (or abandoned for good). */
  async remove(): Promise<void> {
    await this.close();
    await rm(this.file, { force: true });
  }
}
