/** What every format reader gets, and the small value checks they all use. */

import type { Path } from "./paths.js";
import type { Reporter } from "./problems.js";
import type { ImageEntry } from "./types.js";

/** Lists a directory's file names; undefined when it cannot be read. Injected so parsing stays pure. */
export type ListDir = (dir: string) => string[] | undefined;

export interface ReadContext {
  /** The list's file name, as given. */
  file: string;
  /** Absolute directory relative paths in the list are resolved against. */
  dir: string;
  reporter: Reporter;
  /** For skopeo's `cert-dir`; without it a cert-dir cannot be used. */
  listDir?: ListDir;
}

/** An entry and the path it was read from, for duplicate reports. */
export interface ReadEntry {
  entry: ImageEntry;
  path: Path;
}

/** A plain mapping (not null, not a list). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The entries of a mapping, or none when `value` is not one. */
export function entriesOf(value: unknown): [string, unknown][] {
  return isRecord(value) ? Object.entries(value) : [];
}
