/** A plain text list: one reference per line; `#` starts a comment; blank lines are ignored. */

import type { ReadContext, ReadEntry } from "./context.js";
import { reportDuplicates } from "./duplicates.js";
import { makeEntry } from "./image-entry.js";
import { DEFAULT_PLATFORMS } from "./platforms.js";
import { checkReference, referenceSelector } from "./selectors.js";
import type { NodeSpan } from "./source-map.js";
import type { ImageList } from "./types.js";

/** One reference as written, with the offset where it starts. */
export interface TextLine {
  text: string;
  offset: number;
}

/** The references of a text list, comments and blank lines dropped. */
export function splitTextList(text: string): TextLine[] {
  const out: TextLine[] = [];
  let offset = 0;
  for (const line of text.split("\n")) {
    const content = line.replace(/(^|\s)#.*$/, "").trimEnd();
    const start = content.length - content.trimStart().length;
    if (content.trim() !== "") out.push({ text: content.trim(), offset: offset + start });
    offset += line.length + 1;
  }
  return out;
}

/** Spans for a SourceMap: item i of the list is at its line. */
export function textSpans(lines: readonly TextLine[]): NodeSpan[] {
  return [{ path: [], value: 0 }, ...lines.map((l, i) => ({ path: [i], value: l.offset, raw: l.text }))];
}

/** Reads the lines `splitTextList` found; problems go to `ctx.reporter`. */
export function readTextList(lines: readonly TextLine[], ctx: ReadContext): ImageList {
  const read: ReadEntry[] = [];
  lines.forEach((line, i) => {
    const ref = checkReference(line.text, [i], ctx.reporter);
    if (ref === undefined) return;
    const entry = makeEntry(line.text, [i], ref, referenceSelector(ref), DEFAULT_PLATFORMS, false, ctx);
    read.push({ entry, path: [i] });
  });
  reportDuplicates(read, ctx.reporter, false);
  const platforms = [...DEFAULT_PLATFORMS];
  return { file: ctx.file, format: "text", platforms, registries: {}, images: read.map((r) => r.entry) };
}
