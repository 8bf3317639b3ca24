import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { AirlockError } from "../../src/errors.js";
import { targetRepository, targetTag, type TargetNameOptions } from "../../src/ref/target-name.js";

const DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;

interface Case {
  reference: string;
  options?: TargetNameOptions;
  repository: string;
  tag: string | undefined;
}

const CASES: Case[] = [
  { reference: "docker.io/library/busybox:1.36", repository: "library/busybox", tag: "1.36" },
  { reference: "busybox", repository: "library/busybox", tag: "latest" },
  { reference: "registry.example.com/team/app:1.2", repository: "team/app", tag: "1.2" },
  { reference: `registry.example.com/team/app@${DIGEST}`, repository: "team/app", tag: undefined },
  { reference: `host:5000/a/b/c:v1@${DIGEST}`, repository: "a/b/c", tag: "v1" },
  { reference: "localhost/app:dev", repository: "app", tag: "dev" },
  {
    reference: "docker.io/library/busybox:1.36",
    options: { prefix: "mirror" },
    repository: "mirror/library/busybox",
    tag: "1.36",
  },
  {
    reference: "ghcr.io/org/tool:v2",
    options: { prefix: "/site/mirror/" },
    repository: "site/mirror/org/tool",
    tag: "v2",
  },
  {
    reference: "docker.io/library/busybox:1.36",
    options: { keepHost: true },
    repository: "docker.io/library/busybox",
    tag: "1.36",
  },
  {
    reference: "127.0.0.1:5000/team/app:1",
    options: { keepHost: true },
    repository: "127.0.0.1_5000/team/app",
    tag: "1",
  },
  {
    reference: "Registry.Example.com:443/team/app:1",
    options: { keepHost: true, prefix: "m" },
    repository: "m/registry.example.com_443/team/app",
    tag: "1",
  },
  {
    reference: "[::1]:5000/app:1",
    options: { keepHost: true },
    repository: "1_5000/app",
    tag: "1",
  },
  { reference: "ghcr.io/org/tool:v2", options: { prefix: "" }, repository: "org/tool", tag: "v2" },
];

describe("targetRepository and targetTag", () => {
  for (const c of CASES) {
    it(`${c.reference} ${JSON.stringify(c.options ?? {})} → ${c.repository}:${String(c.tag)}`, () => {
      assert.equal(targetRepository(c.reference, c.options), c.repository);
      assert.equal(targetTag(c.reference), c.tag);
    });
  }

  const BAD: { reference: string; options?: TargetNameOptions }[] = [
    { reference: "not a reference" },
    { reference: "ghcr.io/org/tool:v2", options: { prefix: "Upper" } },
    { reference: "ghcr.io/org/tool:v2", options: { prefix: "a//b" } },
    { reference: "ghcr.io/org/tool:v2", options: { prefix: "../x" } },
    { reference: `ghcr.io/${"a".repeat(120)}/${"b".repeat(120)}:v2`, options: { prefix: "p".repeat(20) } },
  ];
  for (const c of BAD) {
    it(`refuses ${c.reference.slice(0, 40)} ${JSON.stringify(c.options ?? {})}`, () => {
      assert.throws(
        () => targetRepository(c.reference, c.options),
        (err: unknown) => err instanceof AirlockError && err.code === "ERR_REF_INVALID",
      );
    });
  }
});
