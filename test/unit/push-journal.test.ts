import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { PushJournal, defaultJournalPath } from "../../src/store/push-journal.js";

const digest = (c: string): string => `sha256:${c.repeat(64)}`;

/** A journal path in a directory that does not exist yet (open() makes it), holding `text` if given. */
async function journalFile(text?: string): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), "airlock-journal-")), "state", "push.jsonl");
  if (text !== undefined) {
    await mkdir(dirname(file));
    await writeFile(file, text);
  }
  return file;
}

test("records survive a reopen, each once; locations name a repository per digest", async () => {
  const file = await journalFile();
  const journal = await PushJournal.open(file);
  await journal.record("site/a", digest("a"));
  await journal.record("site/a", digest("a"));
  await journal.record("site/b", digest("b"));
  const again = await PushJournal.open(file);
  assert.ok(again.has("site/a", digest("a")) && again.has("site/b", digest("b")));
  assert.equal(again.has("site/b", digest("a")), false);
  assert.deepEqual(
    again.locations(),
    new Map([
      [digest("a"), "site/a"],
      [digest("b"), "site/b"],
    ]),
  );
  assert.equal((await readFile(file, "utf8")).split("\n").length, 3);
});

test("a torn last line (a run killed mid-write) is ignored and the next record starts a line of its own", async () => {
  const good = JSON.stringify({ repo: "site/a", digest: digest("a") });
  const file = await journalFile(`${good}\n\nnot json\n{"repo":"site/b","dig`);
  const journal = await PushJournal.open(file);
  assert.ok(journal.has("site/a", digest("a")));
  await journal.record("site/c", digest("c"));
  await journal.record("site/d", digest("d"));
  const again = await PushJournal.open(file);
  assert.ok(again.has("site/c", digest("c")), "the first record after the torn line is kept");
  assert.ok(again.has("site/d", digest("d")));
  assert.equal(again.has("site/b", digest("b")), false);
});

test("the default journal is one file per target under $XDG_STATE_HOME/airlock/push", () => {
  const env = { XDG_STATE_HOME: "/state" };
  const a = defaultJournalPath("127.0.0.1:5000/site", env);
  assert.match(a, /^\/state\/airlock\/push\/[0-9a-f]{24}\.jsonl$/);
  assert.notEqual(a, defaultJournalPath("127.0.0.1:5000/other", env));
  assert.equal(a, defaultJournalPath("127.0.0.1:5000/site", env));
});
