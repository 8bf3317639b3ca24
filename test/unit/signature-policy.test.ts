import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { predicateTypeOf } from "../../src/signature/attestation-types.js";
import { verdictOf, type Finding } from "../../src/signature/findings.js";
import { validateImageList } from "../../src/imagelist/index.js";
import { policyProblems, readPolicyFile } from "../../src/signature/policy-file.js";

const schema = async (name: string): Promise<{ $defs: Record<string, unknown> }> =>
  JSON.parse(await readFile(new URL(`../../schemas/${name}`, import.meta.url), "utf8")) as {
    $defs: Record<string, unknown>;
  };

describe("signature policies", () => {
  it("the image list's verify: takes exactly the policy file's shape", async () => {
    const list = await schema("airlock.schema.json");
    const policy = await schema("airlock-signature-policy.schema.json");
    assert.deepEqual(list.$defs.signaturePolicy, policy.$defs.policy);
  });

  const cases: [unknown, boolean][] = [
    [{ keys: ["a.pub"] }, true],
    [
      { identities: [{ subject: "me@example.test", issuer: "https://issuer.test" }], trustedRoot: "r.json" },
      true,
    ],
    [{ keys: ["a.pub"], attestations: ["slsaprovenance"] }, true],
    [{ attestations: ["spdx"] }, false],
    [{ keys: "a.pub" }, false],
    [{ identities: [{ subject: "x" }] }, false],
    [{ keys: ["a.pub"], key: "typo" }, false],
  ];
  for (const [value, ok] of cases) {
    it(`${JSON.stringify(value)} is ${ok ? "valid" : "refused"}`, () => {
      assert.equal(policyProblems(value).length === 0, ok, policyProblems(value).join("; "));
    });
  }

  it("attestation names stand for predicate types; a URI for itself; anything else is a usage error", () => {
    assert.equal(predicateTypeOf("slsaprovenance"), "https://slsa.dev/provenance/v0.2");
    assert.equal(predicateTypeOf("SPDX"), "https://spdx.dev/Document");
    assert.equal(predicateTypeOf("cyclonedx"), "https://cyclonedx.org/bom");
    assert.equal(predicateTypeOf("https://example.test/p/v1"), "https://example.test/p/v1");
    assert.throws(() => predicateTypeOf("slsa"), { code: "ERR_USAGE" });
  });
});

describe("the examples", () => {
  const example = (name: string): string => new URL(`../../examples/${name}`, import.meta.url).pathname;

  it("examples/signature-policy.yaml is a valid policy, its paths made absolute", async () => {
    const policy = await readPolicyFile(example("signature-policy.yaml"));
    assert.equal(policy.keys?.[0], example("keys/cosign.pub"));
    assert.equal(policy.trustedRoot, example("trusted_root.json"));
  });

  it("examples/signed.yaml validates, with verify: on its registry and its entry", async () => {
    const result = await validateImageList(example("signed.yaml"));
    assert.deepEqual(result.problems, []);
    assert.deepEqual(result.warnings, []);
    assert.equal(result.list?.registries["ghcr.io"]?.verify?.identities?.length, 1);
    assert.deepEqual(result.list?.images[1]?.verify?.keys, [example("keys/team.pub")]);
  });
});

describe("verdicts", () => {
  const bad = (failure: Extract<Finding, { ok: false }>["failure"]): Finding => ({
    ok: false,
    proves: "signature",
    failure,
    reason: failure,
  });
  const good: Finding = { ok: true, proves: "signature", by: "k.pub" };
  const slsa: Finding = { ok: true, proves: "https://slsa.dev/provenance/v1", by: "k.pub" };

  it("one good signature passes, whatever else fails", () => {
    assert.equal(verdictOf("i", "d", [bad("bad-signature"), good], []).passed, true);
  });
  it("the most telling failure is the reason", () => {
    const v = verdictOf("i", "d", [bad("bad-signature"), bad("digest-mismatch"), bad("missing")], []);
    assert.equal(v.failure, "digest-mismatch");
  });
  it("nothing attached is missing", () => {
    assert.equal(verdictOf("i", "d", [], []).failure, "missing");
  });
  it("each attestation asked for is needed; slsaprovenance takes SLSA v1", () => {
    assert.equal(verdictOf("i", "d", [good], ["https://slsa.dev/provenance/v0.2"]).failure, "missing");
    assert.equal(verdictOf("i", "d", [good, slsa], ["https://slsa.dev/provenance/v0.2"]).passed, true);
    assert.equal(verdictOf("i", "d", [slsa], ["https://slsa.dev/provenance/v0.2"]).failure, "missing");
  });
});
