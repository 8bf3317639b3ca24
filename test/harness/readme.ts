/** The README's code, for tests that run or type-check it as written. */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

const README = join(import.meta.dirname, "..", "..", "README.md");

/** The ts block of the README's "## Library" section that runs the bundle workflow. */
export async function readmeLibraryExample(): Promise<string> {
  const readme = await readFile(README, "utf8");
  const section = readme.split(/^## /m).find((s) => s.startsWith("Library\n"));
  assert.ok(section, "README has no ## Library section");
  const blocks = [...section.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? "");
  const example = blocks.find((b) => b.includes("pushBundle("));
  assert.ok(example, "the Library section has no ts block that pushes a bundle");
  return example;
}
