import { createHash } from "node:crypto";
import { appendFile, mkdir, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

/** One fact the journal keeps: a blob confirmed present in a target repository. */
interface JournalLine {
  repo: string;
  digest: string;
}

/**
 * An append-only record, per target registry, of the blobs pushes have
 * confirmed there and in which repository. A re-run (after a crash or kill
 * -9) or the next bundle uses it to mount blobs from where they already are
 * instead of uploading them again. A torn last line is ignored. The registry
 * stays the truth: every blob is still checked with HEAD, and a mount the
 * registry refuses falls back to an upload.
 */
export class PushJournal {
  readonly file: string;
  readonly #done = new Set<string>();
  /** The file ends in a torn line (a run killed mid-write): the next record must start a new line. */
  #torn = false;

  private constructor(file: string) {
    this.file = file;
  }

  /** Opens (or starts) the journal at `file`. */
  static async open(file: string): Promise<PushJournal> {
    const journal = new PushJournal(file);
    const text = await readFile(file, "utf8").catch(() => "");
    journal.#torn = text !== "" && !text.endsWith("\n");
    for (const line of text.split("\n")) {
      try {
        const entry = JSON.parse(line) as JournalLine;
        if (typeof entry.repo === "string" && typeof entry.digest === "string") journal.#done.add(key(entry));
      } catch {
        // a torn line from a killed run, or a blank line
      }
    }
    await mkdir(dirname(file), { recursive: true });
    return journal;
  }

  has(repo: string, digest: string): boolean {
    return this.#done.has(key({ repo, digest }));
  }

  /** A repository each journaled blob was confirmed in. */
  locations(): Map<string, string> {
    const out = new Map<string, string>();
    for (const k of this.#done) {
      const at = k.lastIndexOf("@");
      out.set(k.slice(at + 1), k.slice(0, at));
    }
    return out;
  }

  /** Every blob recorded in `repo`, in the order first recorded. */
  digestsIn(repo: string): string[] {
    const prefix = `${repo}@`;
    return [...this.#done].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
  }

  async record(repo: string, digest: string): Promise<void> {
    if (this.has(repo, digest)) return;
    this.#done.add(key({ repo, digest }));
    const line = (this.#torn ? "\n" : "") + JSON.stringify({ repo, digest }) + "\n";
    this.#torn = false;
    await appendFile(this.file, line);
  }
}

function key(e: JournalLine): string {
  return `${e.repo}@${e.digest}`;
}

/** `$XDG_STATE_HOME/airlock/push/<hash>.jsonl` (default ~/.local/state): one journal per target registry and prefix. */
export function defaultJournalPath(target: string, env: NodeJS.ProcessEnv = process.env): string {
  const state = env.XDG_STATE_HOME;
  const base = state !== undefined && state !== "" ? state : join(homedir(), ".local/state");
  const hash = createHash("sha256").update(target).digest("hex").slice(0, 24);
  return join(base, "airlock", "push", `${hash}.jsonl`);
}
