/** Text of a list in any supported format → a normalised ImageList or every problem in it. */

import path from "node:path";
import { readAirlockList } from "./airlock-format.js";
import type { ListDir, ReadContext } from "./context.js";
import { OBJECT_SOURCE } from "./defaults.js";
import { detectYamlFormat, looksLikeTextList } from "./detect-format.js";
import { readHostKeyedList } from "./host-keyed.js";
import { Reporter, sortProblems } from "./problems.js";
import { SourceMap } from "./source-map.js";
import { readTextList, splitTextList, textSpans } from "./text-list.js";
import type { ImageList, Problem } from "./types.js";
import { parseYaml } from "./yaml-source.js";

export interface ParseOptions {
  /** Lists a directory, for skopeo's `cert-dir`; without it a cert-dir is reported as unreadable. */
  listDir?: ListDir;
}

/** What reading a list found: the list when there are no problems; warnings about ignored content either way. */
export interface ParseResult {
  list?: ImageList;
  /** Sorted by position; empty when `list` is set. */
  problems: Problem[];
  /** Content that was ignored, such as inline credentials in a skopeo sync file. */
  warnings: Problem[];
}

const EMPTY =
  "is empty; expected an image list: airlock.yaml, a skopeo sync YAML, a mindthegap images.yaml or one reference per line";

/**
 * Reads and validates a list in any supported format (detected from `file`'s
 * name and the content). Pure: never reads files (except through
 * `options.listDir`) and never touches the network.
 */
export function parseImageList(text: string, file: string, options: ParseOptions = {}): ParseResult {
  const dir = path.resolve(path.dirname(file));
  if (looksLikeTextList(file, text)) {
    const lines = splitTextList(text);
    const reporter = new Reporter(new SourceMap(file, text, textSpans(lines)), false);
    const list = readTextList(lines, { file, dir, reporter, ...options });
    if (lines.length === 0) reporter.problem([], EMPTY);
    return result(list, reporter);
  }
  const parsed = parseYaml(text, file);
  if (parsed.doc === undefined) return { problems: parsed.problems, warnings: [] };
  return readDocument(parsed.doc.value, new Reporter(parsed.doc.map), dir, options);
}

/**
 * Checks a list given as a value (what an airlock.yaml, skopeo sync or mindthegap YAML parses
 * to) exactly as a file is checked: same schema, same problems, each at "<object>" and its path.
 * Relative paths in it resolve against the working directory.
 */
export function parseImageListObject(value: unknown, options: ParseOptions = {}): ParseResult {
  const reporter = new Reporter(SourceMap.withoutText(OBJECT_SOURCE));
  return readDocument(value, reporter, path.resolve("."), options);
}

function readDocument(value: unknown, reporter: Reporter, dir: string, options: ParseOptions): ParseResult {
  const file = reporter.map.file;
  if (value === undefined || value === null) {
    reporter.problem([], EMPTY);
    return result(undefined, reporter);
  }
  const ctx: ReadContext = { file, dir, reporter, ...options };
  const format = detectYamlFormat(file, value);
  const list = format === "airlock" ? readAirlockList(value, ctx) : readHostKeyedList(value, format, ctx);
  if (list.images.length === 0 && reporter.problems.length === 0) reporter.problem([], "names no images");
  return result(list, reporter);
}

function result(list: ImageList | undefined, reporter: Reporter): ParseResult {
  const problems = sortProblems(reporter.problems);
  const warnings = sortProblems(reporter.warnings);
  return problems.length === 0 && list !== undefined ? { list, problems, warnings } : { problems, warnings };
}
