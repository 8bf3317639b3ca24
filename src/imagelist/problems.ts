/**
 * Problems found in an image list: how they are collected while checking a
 * document, printed, and thrown.
 */

import { AirlockError } from "../errors.js";
import { formatPath, type Path } from "./paths.js";
import type { SourceMap } from "./source-map.js";
import type { Problem, SourcePosition } from "./types.js";

/** "airlock.yaml:14:5"; "<object>" alone for a list given as an object (line 0: no text). */
export function formatPosition(p: SourcePosition): string {
  return p.line === 0 ? p.file : `${p.file}:${p.line}:${p.column}`;
}

/**
 * One line: `airlock.yaml:14:5 images[3].platforms[0]: "linux/amd" is not a platform …`;
 * the path and its colon are left out for a problem about the whole file.
 */
export function formatProblem(p: Problem): string {
  const where = formatPosition(p.position);
  return p.path === "" ? `${where}: ${p.message}` : `${where} ${p.path}: ${p.message}`;
}

/** Sorts problems by line, then column, then path, and drops exact repeats. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  return [...problems]
    .sort(
      (a, b) =>
        a.position.line - b.position.line ||
        a.position.column - b.position.column ||
        a.path.localeCompare(b.path),
    )
    .filter((p) => {
      const line = formatProblem(p);
      if (seen.has(line)) return false;
      seen.add(line);
      return true;
    });
}

/** An image list that cannot be used: every problem, one per line in the message. */
export class ImageListError extends AirlockError {
  readonly problems: Problem[];

  constructor(problems: Problem[]) {
    super("ERR_IMAGELIST_INVALID", problems.map(formatProblem).join("\n"));
    this.name = "ImageListError";
    this.problems = problems;
  }
}

/** Where a problem points: at the node's value (default) or at its mapping key. */
export type Anchor = "key" | "value";

/** Collects problems and warnings against one document's SourceMap. */
export class Reporter {
  readonly problems: Problem[] = [];
  readonly warnings: Problem[] = [];

  /** `showPath: false` for formats without structure (a text list), where the line says it all. */
  constructor(
    readonly map: SourceMap,
    private readonly showPath = true,
  ) {}

  /** Records a problem: the list cannot be used until it is fixed. */
  problem(path: Path, message: string, at: Anchor = "value"): void {
    this.problems.push(this.make(path, message, at));
  }

  /** Records a warning: the list is usable, but something in it is ignored. */
  warning(path: Path, message: string, at: Anchor = "value"): void {
    this.warnings.push(this.make(path, message, at));
  }

  private make(path: Path, message: string, at: Anchor): Problem {
    return { position: this.map.position(path, at), path: this.showPath ? formatPath(path) : "", message };
  }
}
