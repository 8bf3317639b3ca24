import { stat } from "node:fs/promises";
import { join } from "node:path";
import { AirlockError, isAirlockError } from "../errors.js";
import { formatReference, parseReference } from "../ref/reference.js";
import { DirSource } from "../store/dir-store.js";
import { DockerArchiveSource } from "../store/docker-archive-source.js";
import type { ImageSource } from "../store/image-store.js";
import { OciArchiveSource } from "../store/oci-archive.js";
import { OciDirStore } from "../store/oci-dir-store.js";
import { copyImage, type CopyOptions, type CopyResult } from "./copy.js";

/** The tarball formats `pull` writes. */
export type PullFormat = "oci" | "docker";

export interface PullOptions extends CopyOptions {
  /** "docker" (default: what `docker load` takes) or "oci" (an OCI layout tar, digests kept). */
  format?: PullFormat;
}

/**
 * Writes the image REF names into a tarball (crane pull): a docker-archive
 * with REF in RepoTags, or with `format: "oci"` an oci-archive naming it REF.
 * The file appears only when complete.
 */
export async function pullImage(
  reference: string,
  file: string,
  options: PullOptions = {},
): Promise<CopyResult> {
  const format = options.format ?? "docker";
  if (format !== "oci" && format !== "docker") {
    throw new AirlockError("ERR_USAGE", `--format must be oci or docker, not "${String(format)}"`);
  }
  const ref = formatReference(parseReference(reference));
  const transport = format === "oci" ? "oci-archive" : "docker-archive";
  return await copyImage(
    { transport: "docker", reference: parseReference(reference) },
    { transport, path: file, ref },
    options,
  );
}

/**
 * Pushes an image from a tarball or directory (crane push): an oci-archive
 * or docker-archive file (told apart by content), an OCI layout directory or
 * a dir: directory. Every platform it holds is pushed (`all` unless
 * `platforms` are given).
 */
export async function pushImage(
  path: string,
  reference: string,
  options: CopyOptions = {},
): Promise<CopyResult> {
  const source = await openLocal(path, options.signal);
  try {
    const all = options.all ?? (options.platforms === undefined || options.platforms.length === 0);
    return await copyImage(
      source,
      { transport: "docker", reference: parseReference(reference) },
      { ...options, all },
    );
  } finally {
    await source.close();
  }
}

/** Opens a file or directory holding an image, whatever its format. */
export async function openLocal(path: string, signal?: AbortSignal): Promise<ImageSource> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined)
    throw new AirlockError("ERR_FILE", `cannot read ${path}: no such file or directory`);
  if (info.isDirectory()) {
    if (await exists(join(path, "index.json"))) return await OciDirStore.open(path);
    if (await exists(join(path, "manifest.json"))) return new DirSource(path);
    throw new AirlockError("ERR_FILE", `${path} is neither an OCI layout nor a dir: image`);
  }
  try {
    return await OciArchiveSource.open(path, undefined, signal);
  } catch (err) {
    if (!isAirlockError(err) || !/no index\.json/.test(err.message)) throw err;
  }
  try {
    return await DockerArchiveSource.open(path, undefined, signal);
  } catch (err) {
    if (isAirlockError(err) && /no manifest\.json/.test(err.message)) {
      throw new AirlockError("ERR_FILE", `${path} is neither an oci-archive nor a docker-archive`, {
        cause: err,
      });
    }
    throw err;
  }
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}
