/**
 * ajv errors → one human problem per mistake: unknown keys with a
 * "did you mean", types in words, and none of ajv's follow-on noise.
 */

import type { ErrorObject } from "ajv/dist/2020.js";
import type { Path } from "./paths.js";
import type { Reporter } from "./problems.js";
import { isSecretKey, secretKeyMessage } from "./secrets.js";
import { closest, quotedList } from "../util/suggest.js";

/** Messages for particular schema locations (ajv `schemaPath`), where the generic wording is poor. */
export type SchemaMessages = Readonly<Record<string, string>>;

type Params = Record<string, unknown>;

const TYPE_NAMES: Record<string, string> = {
  string: "a string",
  boolean: "true or false",
  integer: "a whole number",
  number: "a number",
  object: "a mapping",
  array: "a list",
  null: "empty",
};

/** Reports every ajv error as a problem on `reporter`; `messages` override wording by schemaPath. */
export function reportSchemaErrors(
  errors: readonly ErrorObject[],
  reporter: Reporter,
  messages: SchemaMessages = {},
): void {
  const unknownKeys = errors.filter((e) => e.keyword === "additionalProperties");
  for (const err of errors) {
    const path = reporter.map.pathOf(err.instancePath);
    const params = err.params as Params;
    const override = messages[err.schemaPath];
    if (err.keyword === "additionalProperties") {
      reportUnknownKey(err, path, String(params.additionalProperty), reporter);
    } else if (err.keyword === "required") {
      const missing = String(params.missingProperty);
      if (!explainedByUnknownKey(err, missing, unknownKeys)) {
        reporter.problem(path, override ?? `${JSON.stringify(missing)} is missing`);
      }
    } else if (err.keyword === "false schema" || err.keyword === "if") {
      // Selector conflicts (false schemas) are reported by the semantic checks; "if" only repeats "then".
    } else {
      const message = override ?? genericMessage(err, params);
      reporter.problem(path, yamlTypeHint(err, path, reporter) ?? withEmptyNote(err.data, message));
    }
  }
}

function reportUnknownKey(err: ErrorObject, path: Path, key: string, reporter: Reporter): void {
  const keyPath = [...path, key];
  if (isSecretKey(key)) {
    reporter.problem(keyPath, secretKeyMessage(key), "key");
    return;
  }
  const allowed = Object.keys(propertiesOf(err.parentSchema));
  const near = closest(key, allowed);
  const help =
    near !== undefined
      ? `did you mean ${JSON.stringify(near)}?`
      : allowed.length === 0
        ? "no keys are allowed here"
        : `expected ${quotedList(allowed)}`;
  reporter.problem(keyPath, `unknown key ${JSON.stringify(key)}; ${help}`, "key");
}

/** A missing key is no news when a misspelling of it, or an inline secret, is already reported. */
function explainedByUnknownKey(err: ErrorObject, missing: string, unknown: readonly ErrorObject[]): boolean {
  return unknown.some((u) => {
    if (u.instancePath !== err.instancePath) return false;
    const key = String((u.params as Params).additionalProperty);
    return isSecretKey(key) || closest(key, [missing]) !== undefined;
  });
}

function genericMessage(err: ErrorObject, params: Params): string {
  switch (err.keyword) {
    case "type":
      return `must be ${describeType(err.parentSchema)}`;
    case "const":
      return `must be ${JSON.stringify(params.allowedValue)}`;
    case "enum":
      return `must be one of ${quotedList(toStrings(params.allowedValues))}`;
    case "minItems":
      return "must not be an empty list";
    case "minLength":
      return "must not be empty";
    case "pattern":
      return `must match ${String(params.pattern)}`;
    default:
      return err.message ?? `fails ${err.keyword}`;
  }
}

/** "a list of strings", "a string or a list", from a schema's `type` (and `items.type`). */
export function describeType(schema: unknown): string {
  const record = isObject(schema) ? schema : {};
  const types = Array.isArray(record.type) ? toStrings(record.type) : [String(record.type)];
  const items = isObject(record.items) ? record.items.type : undefined;
  const words = types.map((t) => {
    const name = TYPE_NAMES[t] ?? t;
    if (t !== "array" || typeof items !== "string") return name;
    return `a list of ${items === "object" ? "mappings" : `${items}s`}`;
  });
  return words.join(" or ");
}

function withEmptyNote(data: unknown, message: string): string {
  return data === null ? `is empty; ${message.replace(/^must be /, "expected ")}` : message;
}

/** `tags: [1.20]` is a number and `insecure: yes` a string to YAML 1.2: say so, with the text as written. */
function yamlTypeHint(err: ErrorObject, path: Path, reporter: Reporter): string | undefined {
  const raw = reporter.map.raw(path);
  // Never echo what was written under credentials: it may be a secret in the wrong place.
  if (err.keyword !== "type" || raw === undefined || path.includes("credentials")) return undefined;
  const expected = describeType(err.parentSchema);
  if (expected === "a string" && (typeof err.data === "number" || typeof err.data === "boolean")) {
    const kind = typeof err.data === "number" ? "a number" : "true/false";
    return `must be a string, but YAML reads ${raw} as ${kind}; quote it: "${raw}"`;
  }
  if (expected === "true or false" && /^(y|yes|n|no|on|off)$/i.test(raw)) {
    return `must be true or false (YAML 1.2 reads ${raw} as a string)`;
  }
  return undefined;
}

function propertiesOf(schema: unknown): Record<string, unknown> {
  return isObject(schema) && isObject(schema.properties) ? schema.properties : {};
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function toStrings(values: unknown): string[] {
  return Array.isArray(values) ? values.map((v) => String(v)) : [];
}
