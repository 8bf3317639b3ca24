/**
 * YAML text → value plus a SourceMap, from one pass of js-yaml's event
 * stream: every mapping key, mapping value and sequence item gets a position.
 */

import {
  EVENT_ID,
  SCALAR_STYLE,
  YAMLException,
  constructFromEvents,
  getScalarValue,
  parseEvents,
} from "js-yaml";
import type { Event, ScalarEvent } from "js-yaml";
import type { Path } from "./paths.js";
import { SourceMap, type NodeSpan } from "./source-map.js";
import type { Problem } from "./types.js";

/** A parsed YAML document and where its nodes are. */
export interface YamlDocument {
  /** undefined for an empty file (comments only). */
  value: unknown;
  map: SourceMap;
}

interface Frame {
  kind: "doc" | "map" | "seq" | "skip";
  path: Path;
  start: number;
  index: number;
  /** Mapping: the key read, waiting for its value. */
  key?: { name: string; offset: number };
  /** Skip (a complex key being ignored): nesting depth inside it. */
  depth: number;
}

/**
 * Parses one YAML document. A syntax error (or a second document) is the
 * only problem returned: nothing else can be said about a file YAML cannot read.
 */
export function parseYaml(text: string, file: string): { doc?: YamlDocument; problems: Problem[] } {
  try {
    const events = parseEvents(text, { filename: file });
    const { spans, roots } = collectSpans(text, events);
    const map = new SourceMap(file, text, spans);
    const values = constructFromEvents(events, { source: text, filename: file });
    const second = roots[1];
    if (second !== undefined) {
      const message = `holds ${roots.length} YAML documents (separated by "---"); an image list is one document`;
      return { problems: [{ position: map.positionAt(second), path: "", message }] };
    }
    return { doc: { value: values[0], map }, problems: [] };
  } catch (err) {
    if (!(err instanceof YAMLException)) throw err;
    const mark = err.mark;
    const position = { file, line: (mark?.line ?? 0) + 1, column: (mark?.column ?? 0) + 1 };
    return { problems: [{ position, path: "", message: `YAML syntax error: ${err.reason}` }] };
  }
}

function collectSpans(text: string, events: Event[]): { spans: NodeSpan[]; roots: number[] } {
  const spans: NodeSpan[] = [];
  const roots: number[] = [];
  const stack: Frame[] = [];
  for (const ev of events) {
    const top = stack.at(-1);
    if (ev.type === EVENT_ID.DOCUMENT) {
      stack.push({ kind: "doc", path: [], start: 0, index: 0, depth: 0 });
    } else if (ev.type === EVENT_ID.POP) {
      if (top?.kind === "skip" && top.depth > 0) top.depth--;
      else stack.pop();
    } else if (top?.kind === "skip") {
      if (ev.type === EVENT_ID.MAPPING || ev.type === EVENT_ID.SEQUENCE) top.depth++;
    } else if (top?.kind === "map" && top.key === undefined) {
      readKey(text, ev, top, stack);
    } else if (top !== undefined) {
      const span = valueSpan(text, ev, top);
      spans.push(span);
      if (top.kind === "doc") roots.push(span.value);
      if (ev.type === EVENT_ID.MAPPING || ev.type === EVENT_ID.SEQUENCE) {
        const kind = ev.type === EVENT_ID.MAPPING ? "map" : "seq";
        stack.push({ kind, path: span.path, start: span.value, index: 0, depth: 0 });
      }
    }
  }
  return { spans, roots };
}

/** A mapping key: a scalar names the entry; a collection key is skipped whole. */
function readKey(text: string, ev: Event, top: Frame, stack: Frame[]): void {
  const offset = startOf(ev, top.start);
  if (ev.type === EVENT_ID.SCALAR) top.key = { name: getScalarValue(text, ev), offset };
  else top.key = { name: "?", offset };
  if (ev.type === EVENT_ID.MAPPING || ev.type === EVENT_ID.SEQUENCE) {
    stack.push({ kind: "skip", path: top.path, start: offset, index: 0, depth: 0 });
  }
}

function valueSpan(text: string, ev: Event, top: Frame): NodeSpan {
  if (top.kind === "map") {
    const key = top.key ?? { name: "?", offset: top.start };
    top.key = undefined;
    const span: NodeSpan = { path: [...top.path, key.name], value: startOf(ev, key.offset), key: key.offset };
    return withRaw(text, ev, span);
  }
  const path = top.kind === "seq" ? [...top.path, top.index++] : top.path;
  return withRaw(text, ev, { path, value: startOf(ev, top.start) });
}

/** Keeps a scalar's text as written, quotes included. */
function withRaw(text: string, ev: Event, span: NodeSpan): NodeSpan {
  if (ev.type !== EVENT_ID.SCALAR || ev.valueStart < 0) return span;
  const quote = isQuoted(ev) ? 1 : 0;
  span.raw = text.slice(ev.valueStart - quote, ev.valueEnd + quote);
  return span;
}

function isQuoted(ev: ScalarEvent): boolean {
  return ev.style === SCALAR_STYLE.SINGLE_QUOTED || ev.style === SCALAR_STYLE.DOUBLE_QUOTED;
}

/** Where a node starts as written: its anchor or tag, its opening quote, or `fallback` when it is empty. */
function startOf(ev: Event, fallback: number): number {
  const candidates: number[] = [];
  if (ev.type === EVENT_ID.ALIAS) candidates.push(ev.anchorStart - 1);
  if (ev.type === EVENT_ID.SCALAR || ev.type === EVENT_ID.MAPPING || ev.type === EVENT_ID.SEQUENCE) {
    if (ev.anchorStart >= 0) candidates.push(ev.anchorStart - 1);
    if (ev.tagStart >= 0) candidates.push(ev.tagStart);
  }
  if (ev.type === EVENT_ID.MAPPING || ev.type === EVENT_ID.SEQUENCE) candidates.push(ev.start);
  if (ev.type === EVENT_ID.SCALAR && ev.valueStart >= 0) {
    candidates.push(isQuoted(ev) ? ev.valueStart - 1 : ev.valueStart);
  }
  const found = candidates.filter((c) => c >= 0);
  return found.length === 0 ? fallback : Math.min(...found);
}
