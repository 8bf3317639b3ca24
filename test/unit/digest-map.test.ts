import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { digestChanges, formatDigestMap } from "../../src/verbs/digest-map.js";

const d = (c: string): string => `sha256:${c.repeat(64)}`;
const outcome = (reference: string, upstream: string, site: string, status = "filtered") => ({
  reference,
  repository: `site/${reference.split("/").slice(1).join("/").replace(/:.*$/, "")}`,
  tag: "v1",
  digest: site,
  upstreamDigest: upstream,
  status,
});

describe("digest map", () => {
  it("lists only images whose site digest differs, and never skipped ones or dry-run outcomes", () => {
    const changes = digestChanges([
      outcome("docker.io/a/x:v1", d("a"), d("b")),
      outcome("docker.io/a/y:v1", d("c"), d("c"), "pushed"),
      outcome("docker.io/a/z:v1", d("d"), d("e"), "skipped"),
      outcome("docker.io/a/w:v1", d("f"), d("0"), "would-push"),
    ]);
    assert.deepEqual(
      changes.map((c) => [c.reference, c.upstream, c.site]),
      [["docker.io/a/x:v1", d("a"), d("b")]],
    );
  });

  it("is a sed script that a later push merges into: other upstream digests kept, the same one replaced", () => {
    const first = formatDigestMap(
      digestChanges([
        outcome("docker.io/a/x:v1", d("a"), d("b")),
        outcome("docker.io/a/y:v1", d("c"), d("d")),
      ]),
    );
    const second = formatDigestMap(digestChanges([outcome("docker.io/a/x:v1", d("a"), d("e"))]), first);
    const commands = second.split("\n").filter((l) => l.startsWith("s/"));
    assert.deepEqual(commands, [`s/${d("c")}/${d("d")}/g`, `s/${d("a")}/${d("e")}/g`]);
    assert.ok(!second.startsWith("#n\n"), "a first line #n would make sed print nothing");
    assert.match(second, /# docker\.io\/a\/y:v1 → site\/a\/y:v1\ns\//);
  });
});
