import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import { GENERATED_DIR, TARGETS, generatedValidators } from "../../scripts/build-validators.js";
import { schemaErrors } from "../../src/imagelist/schema-check.js";

/** Documents that break the schemas in many ways at once (unknown keys, types, $ref'd definitions). */
const BAD: unknown[] = [
  { images: [{ ref: "a/b", tagz: ["v1"], platforms: "linux/amd64" }, 12, { tags: [1.2] }], version: 2 },
  { images: [], registries: { "r.test": { insecure: "yes", credentials: { usernameEnv: "a-b" } } } },
  { "docker.io": { images: { busybox: [1] }, "tls-verify": "no", extra: 1 }, "quay.io": [] },
  { lockVersion: 1, listHash: "x", entries: [{ key: "k", images: [{ reference: 1 }] }] },
  [1, 2],
  "text",
];

describe("the validators generated from the JSON Schemas (src/generated/)", () => {
  it("are what scripts/build-validators.ts makes of today's schemas (run npm run build after a schema change)", async () => {
    const generated = await generatedValidators();
    assert.equal(generated.size, TARGETS.length);
    for (const [file, text] of generated) {
      assert.equal(await readFile(join(GENERATED_DIR, file), "utf8"), text, `${file} is stale`);
    }
  });

  for (const target of TARGETS) {
    it(`${target.file} reports exactly what ajv compiling ${target.from} at run time reports`, async () => {
      const schema = await target.schema();
      const compiled = new Ajv2020(target.options).compile(schema);
      const generated = (await import(`../../src/generated/${target.file}`)) as Parameters<
        typeof schemaErrors
      >[0];
      for (const value of BAD) {
        const expected = compiled(value) ? [] : (compiled.errors ?? []);
        const actual = generated.validate(value) ? [] : (generated.validate.errors ?? []);
        assert.ok(expected.length > 0, `${JSON.stringify(value)} breaks ${target.from}`);
        // parentSchema and schema are copies in the generated code: equal, not the same objects.
        assert.deepEqual(JSON.parse(JSON.stringify(actual)), JSON.parse(JSON.stringify(expected)));
      }
    });
  }

  it("places each error's schemaPath in the schema document, through $ref too", async () => {
    const list = await import("../../src/generated/validate-airlock-list.js");
    const paths = schemaErrors(list, BAD[0]).map((e) => e.schemaPath);
    assert.ok(paths.includes("#/$defs/entry/additionalProperties"), paths.join(" "));
    assert.ok(paths.includes("#/$defs/platforms/then/const"), paths.join(" "));
    assert.ok(paths.includes("#/properties/version/const"), paths.join(" "));
  });
});
