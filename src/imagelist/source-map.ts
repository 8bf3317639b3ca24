/**
 * Where each node of a document was written. Every problem is reported at a
 * node's path; a SourceMap turns that path back into file:line:column.
 */

import type { SourcePosition } from "./types.js";
import { pointerOf, splitPointer, type Path } from "./paths.js";

/** Where one node starts, as offsets into the text. */
export interface NodeSpan {
  path: Path;
  /** Offset of the value (of the quote for a quoted scalar, of `&`/`!` for an anchored/tagged node). */
  value: number;
  /** Offset of the mapping key, for mapping values. */
  key?: number;
  /** Scalar text as written, for hints such as "1.20 is read as a number". */
  raw?: string;
}

/** Resolves document paths to positions in the file they came from. */
export class SourceMap {
  readonly file: string;
  private readonly lineStarts: number[];
  private readonly spans = new Map<string, NodeSpan>();
  private readonly hasText: boolean;

  /** The map of a document given as a value, not text: every position is `file` at line 0, column 0. */
  static withoutText(file: string): SourceMap {
    return new SourceMap(file, undefined, []);
  }

  constructor(file: string, text: string | undefined, spans: Iterable<NodeSpan>) {
    this.file = file;
    this.hasText = text !== undefined;
    this.lineStarts = [0];
    if (text === undefined) return;
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) this.lineStarts.push(i + 1);
    for (const span of spans) this.spans.set(pointerOf(span.path), span);
  }

  /**
   * Position of the node at `path`: of its key when `at` is "key" and it is a
   * mapping value, else of its value. Falls back to the nearest known ancestor.
   */
  position(path: Path, at: "key" | "value" = "value"): SourcePosition {
    if (!this.hasText) return { file: this.file, line: 0, column: 0 };
    for (let n = path.length; n >= 0; n--) {
      const span = this.spans.get(pointerOf(path.slice(0, n)));
      if (span !== undefined) {
        const offset = at === "key" && n === path.length ? (span.key ?? span.value) : span.value;
        return this.positionAt(offset);
      }
    }
    return { file: this.file, line: 1, column: 1 };
  }

  /** 1-based line and column of a 0-based offset. */
  positionAt(offset: number): SourcePosition {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lineStarts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { file: this.file, line: lo + 1, column: offset - (this.lineStarts[lo] ?? 0) + 1 };
  }

  /** The path of a JSON pointer (ajv's `instancePath`), with sequence indexes as numbers. */
  pathOf(pointer: string): Path {
    const known = this.spans.get(pointer);
    if (known !== undefined) return known.path;
    return splitPointer(pointer).map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
  }

  /** The scalar at `path` as written, if it is a scalar. */
  raw(path: Path): string | undefined {
    return this.spans.get(pointerOf(path))?.raw;
  }
}
