/** Reading an image list from disk: the `validate` verb and the loader the other verbs use. */

import { readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { AirlockError, fileErrorReason } from "../errors.js";
import { parseImageList, parseImageListObject, type ParseResult } from "./parse.js";
import { ImageListError } from "./problems.js";
import type { ImageList } from "./types.js";

/**
 * Reads and checks a list in any supported format (detected automatically),
 * returning every problem and warning; never touches the network.
 * @throws AirlockError ERR_FILE ("cannot read FILE: …") when the file cannot be read.
 */
export async function validateImageList(file: string): Promise<ParseResult> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new AirlockError("ERR_FILE", `cannot read ${file}: ${fileErrorReason(err)}`, { cause: err });
  }
  return parseImageList(text.replace(/^\uFEFF/, ""), file, { listDir });
}

/**
 * Reads and validates a list in any supported format (detected automatically); never touches the network.
 * @throws ImageListError (ERR_IMAGELIST_INVALID) listing every problem, one per line, with `problems`;
 *   AirlockError ERR_FILE when the file cannot be read.
 */
export async function loadImageList(file: string): Promise<ImageList> {
  const { list, problems } = await validateImageList(file);
  if (list === undefined) throw new ImageListError(problems);
  return list;
}

/**
 * Validates a list given as an object exactly as `loadImageList` does a file (problems at
 * "<object>" and their path); never touches the network.
 * @throws ImageListError (ERR_IMAGELIST_INVALID) listing every problem, with `problems`.
 */
export function loadImageListObject(value: unknown): ImageList {
  const { list, problems } = parseImageListObject(value, { listDir });
  if (list === undefined) throw new ImageListError(problems);
  return list;
}

function listDir(dir: string): string[] | undefined {
  try {
    return readdirSync(dir);
  } catch {
    return undefined;
  }
}
