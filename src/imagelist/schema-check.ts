/** JSON Schema validation of a parsed document with ajv, every error at once. */

import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import { loadSchema } from "../schemas.js";

interface Compiled {
  validate: ValidateFunction;
  /** Each schema object → its JSON pointer in the schema document ("#/$defs/entry"). */
  locations: Map<object, string>;
}

const compiled = new Map<object, Compiled>();

/** The published schema of airlock.yaml (schemas/airlock.schema.json). */
export function loadAirlockSchema(): object {
  return loadSchema("airlock.schema.json");
}

/**
 * Every way `value` breaks `schema`, with `parentSchema` set and `schemaPath`
 * rewritten to the keyword's place in the schema document ("#/$defs/entry/required";
 * ajv's own is relative to wherever it inlined a `$ref`). [] when it conforms.
 */
export function schemaErrors(schema: object, value: unknown): ErrorObject[] {
  let c = compiled.get(schema);
  if (c === undefined) {
    const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
    c = { validate: ajv.compile(schema), locations: locate(schema) };
    compiled.set(schema, c);
  }
  if (c.validate(value)) return [];
  const { locations } = c;
  return (c.validate.errors ?? []).map((err) => {
    const at = err.parentSchema === undefined ? undefined : locations.get(err.parentSchema);
    return at === undefined ? err : { ...err, schemaPath: `${at}/${err.keyword}` };
  });
}

function locate(schema: object): Map<object, string> {
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
