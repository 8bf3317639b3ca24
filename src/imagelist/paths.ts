/**
 * Paths to nodes of a parsed document: segments in, JSON pointers (what ajv
 * reports) and display paths ("images[3].platforms[0]") out.
 */

/** One step into a document: a mapping key or a sequence index. */
export type PathSegment = string | number;
export type Path = readonly PathSegment[];

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** RFC 6901 JSON pointer, as ajv's `instancePath`: "/images/3/platforms/0". */
export function pointerOf(path: Path): string {
  return path.map((s) => "/" + String(s).replaceAll("~", "~0").replaceAll("/", "~1")).join("");
}

/** The segments of a JSON pointer, all as strings (the pointer does not say which are indexes). */
export function splitPointer(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
}

/**
 * For messages: `images[3].platforms[0]`, `registries["registry.example.com"].caFile`;
 * "" for the document itself.
 */
export function formatPath(path: Path): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
