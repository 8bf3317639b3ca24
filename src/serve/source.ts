/**
 * What `serve` reads: bundle tars and OCI layout directories, each seen as
 * a list of named images plus blobs that live at an offset in some file.
 */

import { stat } from "node:fs/promises";
import { AirlockError, messageOf } from "../errors.js";
import type { Descriptor } from "../oci/types.js";
import { openBundleSource } from "./bundle-source.js";
import { openLayoutSource } from "./layout-source.js";

/** An image a source names: a full reference ("host/team/app:1.2") and its top manifest. */
export interface SourceRef {
  reference: string;
  descriptor: Descriptor;
}

/** Where a blob's bytes are: `size` bytes of `file` from `offset`. */
export interface BlobFile {
  file: string;
  offset: number;
  size: number;
}

/** One bundle (or part of one) or layout directory. */
export interface ContentSource {
  /** The path it was opened from, for messages. */
  readonly name: string;
  /** The images it names, in its index.json's order. */
  readonly refs: readonly SourceRef[];
  /** Where a blob is, or undefined when this source does not hold it. */
  locate(digest: string): Promise<BlobFile | undefined>;
}

/** Opens a bundle tar (a file) or an OCI layout (a directory). */
export async function openSource(path: string, signal?: AbortSignal): Promise<ContentSource> {
  const info = await stat(path).catch((err: unknown) => {
    throw new AirlockError("ERR_FILE", `cannot read ${path}: ${messageOf(err)}`, { cause: err });
  });
  if (info.isDirectory()) return openLayoutSource(path);
  if (info.isFile()) return openBundleSource(path, signal);
  throw new AirlockError("ERR_FILE", `${path} is neither a bundle file nor an OCI layout directory`);
}
