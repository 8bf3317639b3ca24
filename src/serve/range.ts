/** `Range: bytes=…` for blob downloads (RFC 9110 §14), one range at a time. Pure. */

/** What a Range header asks of a blob of a given size. */
export type RangeRequest =
  | { kind: "full" }
  /** `start` and `end` inclusive, within the blob. */
  | { kind: "partial"; start: number; end: number }
  /** Malformed or unsatisfiable: answered with 416. */
  | { kind: "invalid"; message: string };

type Spec =
  | { kind: "ok"; start: number; end: number }
  | { kind: "unsatisfiable" }
  | { kind: "malformed"; message: string };

const SPEC = /^([0-9]{0,15})-([0-9]{0,15})$/;

/**
 * Reads a Range header against a blob of `size` bytes. No header is a full
 * read; several well-formed ranges are also answered with the whole blob
 * (a server may ignore Range, and multipart replies help no registry client).
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: "full" };
  const match = /^\s*bytes\s*=(.*)$/i.exec(header);
  if (match === null) return invalid(`Range "${clip(header)}" is not a bytes range (bytes=START-END)`);
  const specs = (match[1] ?? "").split(",").map((text) => parseSpec(text.trim(), size));
  for (const spec of specs) if (spec.kind === "malformed") return invalid(spec.message);
  const [only] = specs;
  if (specs.length > 1 || only === undefined) return { kind: "full" };
  if (only.kind === "ok") return { kind: "partial", start: only.start, end: only.end };
  return invalid(`Range "${clip(header)}" is not satisfiable: the blob has ${size} bytes`);
}

function parseSpec(text: string, size: number): Spec {
  const match = SPEC.exec(text);
  const [first = "", last = ""] = match === null ? [] : match.slice(1);
  if (match === null || (first === "" && last === "")) {
    return malformed(
      `Range "bytes=${clip(text)}" is malformed; expected bytes=START-END, bytes=START- or bytes=-LENGTH`,
    );
  }
  if (first === "") {
    const length = Number(last);
    if (length === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "ok", start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  if (last !== "" && Number(last) < start) return malformed(`Range "bytes=${text}" ends before it starts`);
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "ok", start, end: last === "" ? size - 1 : Math.min(Number(last), size - 1) };
}

function malformed(message: string): Spec {
  return { kind: "malformed", message };
}

function invalid(message: string): RangeRequest {
  return { kind: "invalid", message };
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
