/**
 * airlock's published JSON Schemas (`schemas/`), loaded in one place. The
 * package reads them from its `schemas/` directory; the one-file build
 * (`npm run build:standalone`) carries them inside itself, defined by
 * esbuild as `AIRLOCK_EMBEDDED_SCHEMAS`, so it needs no file beside it.
 */

import { readFileSync } from "node:fs";

/** Set only in the one-file build: schema file name → parsed schema. */
declare const AIRLOCK_EMBEDDED_SCHEMAS: Record<string, object> | undefined;

export type SchemaName =
  | "airlock.schema.json"
  | "airlock-lock.schema.json"
  | "airlock-inventory.schema.json"
  | "airlock-delta.schema.json"
  | "airlock-signature-policy.schema.json";

const loaded = new Map<SchemaName, object>();

/** The parsed schema, the same object on every call (ajv caches by identity). */
export function loadSchema(name: SchemaName): object {
  let schema = loaded.get(name);
  if (schema === undefined) {
    schema = embeddedSchema(name) ?? readSchemaFile(name);
    loaded.set(name, schema);
  }
  return schema;
}

function embeddedSchema(name: SchemaName): object | undefined {
  return typeof AIRLOCK_EMBEDDED_SCHEMAS === "undefined" ? undefined : AIRLOCK_EMBEDDED_SCHEMAS[name];
}

function readSchemaFile(name: SchemaName): object {
  return JSON.parse(readFileSync(new URL(`../schemas/${name}`, import.meta.url), "utf8")) as object;
}
