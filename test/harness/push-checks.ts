/** What push-bundle tests share: the command line of a push, and the proof that every tag landed. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { ExpectedImage } from "./push-order.js";
import type { TestRegistry } from "./registry.js";
import { runSkopeo } from "./tools.js";

/** `push-bundle BUNDLE --to HOST/site --json --quiet --journal STATE/JOURNAL …`. */
export function pushBundleArgs(
  bundle: string,
  host: string,
  journal: { dir: string; name: string },
  ...extra: string[]
): string[] {
  const to = `${host}/site`;
  return [
    "push-bundle",
    bundle,
    "--to",
    to,
    "--json",
    "--quiet",
    "--journal",
    join(journal.dir, journal.name),
    ...extra,
  ];
}

/** Every tag in `b` has exactly the lock's digest (skopeo reads `b` directly). */
export async function assertLanded(b: TestRegistry, images: readonly ExpectedImage[]): Promise<void> {
  for (const image of images) {
    const ref = `docker://${b.host}/${image.repository}:${image.tag}`;
    const raw = (await runSkopeo(["inspect", "--raw", ...b.skopeoFlags(), ref])).stdout;
    assert.equal(`sha256:${createHash("sha256").update(raw).digest("hex")}`, image.digest, image.reference);
  }
}
