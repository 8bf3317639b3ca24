/**
 * JSON Schema validation of a parsed document, every error at once, by ajv's
 * standalone code generated at build time from the schema (src/generated/,
 * scripts/build-validators.ts): no schema is compiled at run time.
 */

import type { ErrorObject, ValidateFunction } from "ajv/dist/2020.js";

/** A generated validator module: its function and where its embedded schema objects sit. */
export interface PrecompiledSchema {
  validate: ValidateFunction;
  /** Each schema constant of the generated code and its JSON pointer in the schema document. */
  schemaLocations: readonly (readonly [object, string])[];
}

const located = new Map<PrecompiledSchema, Map<object, string>>();

/**
 * Every way `value` breaks the schema, with `parentSchema` set and `schemaPath`
 * rewritten to the keyword's place in the schema document ("#/$defs/entry/required";
 * ajv's own is relative to wherever it inlined a `$ref`). [] when it conforms.
 */
export function schemaErrors(schema: PrecompiledSchema, value: unknown): ErrorObject[] {
  if (schema.validate(value)) return [];
  const locations = locationsOf(schema);
  return (schema.validate.errors ?? []).map((err) => {
    const at = err.parentSchema === undefined ? undefined : locations.get(err.parentSchema);
    return at === undefined ? err : { ...err, schemaPath: `${at}/${err.keyword}` };
  });
}

function locationsOf(schema: PrecompiledSchema): Map<object, string> {
  let out = located.get(schema);
  if (out !== undefined) return out;
  out = new Map<object, string>();
  for (const [node, pointer] of schema.schemaLocations) locate(node, pointer, out);
  located.set(schema, out);
  return out;
}

function locate(node: unknown, pointer: string, out: Map<object, string>): void {
  if (typeof node !== "object" || node === null || out.has(node)) return;
  out.set(node, pointer);
  for (const [key, child] of Object.entries(node)) {
    locate(child, `${pointer}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`, out);
  }
}
