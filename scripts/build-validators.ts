// Run by `npm run build` before tsc: ajv's standalone code for every JSON Schema airlock checks
// documents against (schemas/*.json and the foreign list formats of src/imagelist/foreign-schemas.ts),
// written to src/generated/validate-*.ts, so the CLI loads precompiled validators instead of
// compiling schemas with ajv at run time. The files are committed (a fresh checkout typechecks,
// tests and bundles without a build first); a unit test fails when one no longer matches its
// schema. `node --import tsx scripts/build-validators.ts` rewrites only files that changed.
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020, type Options } from "ajv/dist/2020.js";
import standaloneCode from "ajv/dist/standalone/index.js";
import { MINDTHEGAP_SCHEMA, SKOPEO_SYNC_SCHEMA } from "../src/imagelist/foreign-schemas.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const GENERATED_DIR = join(root, "src", "generated");

// The options each document was compiled with at run time; error objects depend on them.
const LIST: Options = { allErrors: true, verbose: true, strict: true, allowUnionTypes: true };
const CODEC: Options = { allErrors: true, strict: false };
const POLICY: Options = { allErrors: true, strict: true };

export interface Target {
  /** The generated module: src/generated/<file>. */
  file: string;
  /** Where the schema comes from, for the header. */
  from: string;
  schema: () => Promise<object>;
  options: Options;
}

const schemaFile = (name: string) => async (): Promise<object> =>
  JSON.parse(await readFile(join(root, "schemas", name), "utf8")) as object;

export const TARGETS: Target[] = [
  {
    file: "validate-airlock-list.ts",
    from: "schemas/airlock.schema.json",
    schema: schemaFile("airlock.schema.json"),
    options: LIST,
  },
  {
    file: "validate-skopeo-sync.ts",
    from: "SKOPEO_SYNC_SCHEMA, src/imagelist/foreign-schemas.ts",
    schema: () => Promise.resolve(SKOPEO_SYNC_SCHEMA),
    options: LIST,
  },
  {
    file: "validate-mindthegap.ts",
    from: "MINDTHEGAP_SCHEMA, src/imagelist/foreign-schemas.ts",
    schema: () => Promise.resolve(MINDTHEGAP_SCHEMA),
    options: LIST,
  },
  {
    file: "validate-lock.ts",
    from: "schemas/airlock-lock.schema.json",
    schema: schemaFile("airlock-lock.schema.json"),
    options: CODEC,
  },
  {
    file: "validate-inventory.ts",
    from: "schemas/airlock-inventory.schema.json",
    schema: schemaFile("airlock-inventory.schema.json"),
    options: CODEC,
  },
  {
    file: "validate-delta.ts",
    from: "schemas/airlock-delta.schema.json",
    schema: schemaFile("airlock-delta.schema.json"),
    options: CODEC,
  },
  {
    file: "validate-signature-policy.ts",
    from: "schemas/airlock-signature-policy.schema.json",
    schema: schemaFile("airlock-signature-policy.schema.json"),
    options: POLICY,
  },
];

/** Each schema object → its JSON pointer in the document ("#/$defs/entry"). */
function pointers(schema: object): Map<object, string> {
  const out = new Map<object, string>();
  const walk = (node: unknown, pointer: string): void => {
    if (typeof node !== "object" || node === null || out.has(node)) return;
    out.set(node, pointer);
    for (const [key, child] of Object.entries(node)) {
      walk(child, `${pointer}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`);
    }
  };
  walk(schema, "#");
  return out;
}

interface ScopeName {
  str: string;
  value?: { ref?: unknown };
}

/**
 * Where each schema constant of the generated code sits in the document. ajv embeds the schema
 * (verbose errors point into it) as one constant per `$ref` target; its value scope, an internal
 * of ajv 8, maps each constant's name to the schema object it copies.
 */
function schemaConstants(ajv: Ajv2020, schema: object, code: string): [string, string][] {
  const scope = (ajv as unknown as { scope: { _values: Record<string, Map<unknown, ScopeName>> } }).scope;
  const at = pointers(schema);
  const out: [string, string][] = [];
  for (const name of scope._values.schema?.values() ?? []) {
    const pointer = typeof name.value?.ref === "object" ? at.get(name.value.ref as object) : undefined;
    if (pointer !== undefined && code.includes(`const ${name.str} = `)) out.push([name.str, pointer]);
  }
  return out;
}

/** One target's module text. */
async function generate(target: Target): Promise<string> {
  const schema = await target.schema();
  const ajv = new Ajv2020({ ...target.options, code: { source: true, esm: true } });
  const validate = ajv.compile(schema);
  const code = standaloneCode.default(ajv, validate);
  const head = /^"use strict";export const validate = (\w+);export default \w+;/.exec(code);
  if (head === null) throw new Error(`${target.file}: ajv's standalone code has an unexpected start`);
  const name = head[1] ?? "";
  // ajv writes its runtime helpers as require() even for an ES module: import them instead.
  const imports: string[] = [];
  const body = code
    .slice(head[0].length)
    .replace(/require\("(ajv\/dist\/runtime\/[\w-]+)"\)/g, (_: string, path: string) => {
      const local = `runtime${imports.length}`;
      imports.push(`import ${local} from "${path}.js";`);
      return local;
    });
  const constants = schemaConstants(ajv, schema, body);
  if (constants.length !== (body.match(/const schema\d+ = /g) ?? []).length) {
    throw new Error(`${target.file}: a schema constant of ajv's code is not found in the schema`);
  }
  return [
    `// Generated by scripts/build-validators.ts from ${target.from}: do not edit.`,
    "// ajv's standalone validation code; npm run build writes it again when the schema changes.",
    "// @ts-nocheck",
    'import type { ValidateFunction } from "ajv/dist/2020.js";',
    ...imports,
    "",
    body,
    "",
    `export const validate = ${name} as unknown as ValidateFunction;`,
    "/** The schema constants above and their JSON pointers in the schema document. */",
    `export const schemaLocations: readonly (readonly [object, string])[] = [${constants
      .map(([constant, pointer]) => `[${constant}, ${JSON.stringify(pointer)}]`)
      .join(", ")}];`,
    "",
  ].join("\n");
}

/** Every generated module, by file name under src/generated/. */
export async function generatedValidators(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const target of TARGETS) out.set(target.file, await generate(target));
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [file, text] of await generatedValidators()) {
    const path = join(GENERATED_DIR, file);
    const current = await readFile(path, "utf8").catch(() => undefined);
    if (current !== text) await writeFile(path, text);
  }
}
