import { lstat, readFile, stat } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { AirlockError, messageOf } from "../errors.js";
import { REF_NAME_ANNOTATION } from "../oci/layout.js";
import type { Descriptor } from "../oci/types.js";
import { findPathProblem } from "../ref/grammar.js";
import { BlobDir } from "../store/blob-dir.js";
import { MAX_LAYOUT_INDEX_BYTES, parseLayoutIndex } from "../store/layout-index.js";
import type { BlobFile, ContentSource } from "./source.js";

/**
 * An OCI image layout directory (`oci-layout`, `index.json`, `blobs/sha256/`)
 * as a content source. An index.json entry named with a full reference
 * ("registry.example.com/team/app:1.2", "busybox:1.36") keeps it; one named
 * with a bare tag ("v1", as skopeo's `oci:DIR:v1` writes) becomes that tag
 * of a repository named after the directory; one without a name is served
 * by digest only, in that same repository.
 */
export async function openLayoutSource(dir: string): Promise<ContentSource> {
  const index = await readIndexJson(dir);
  const repository = `localhost/${repositoryOfDirectory(dir)}`;
  const blobs = new BlobDir(dir);
  return {
    name: dir,
    refs: index.map((descriptor) => ({ reference: referenceOf(descriptor, repository), descriptor })),
    async locate(digest: string): Promise<BlobFile | undefined> {
      let file: string;
      try {
        file = blobs.path(digest);
      } catch {
        return undefined;
      }
      // lstat: a symbolic link is not followed out of the layout.
      const info = await lstat(file).catch(() => undefined);
      return info?.isFile() === true ? { file, offset: 0, size: info.size } : undefined;
    },
  };
}

async function readIndexJson(dir: string): Promise<Descriptor[]> {
  const where = join(dir, "index.json");
  await readFile(join(dir, "oci-layout")).catch((err: unknown) => {
    throw new AirlockError(
      "ERR_FILE",
      `${dir} is not an OCI image layout (no readable oci-layout file): ${messageOf(err)}`,
      { cause: err },
    );
  });
  const info = await stat(where).catch((err: unknown) => {
    throw new AirlockError("ERR_FILE", `cannot read ${where}: ${messageOf(err)}`, { cause: err });
  });
  if (info.size > MAX_LAYOUT_INDEX_BYTES) {
    throw new AirlockError("ERR_BUNDLE_CORRUPT", `${where} is ${info.size} bytes, more than airlock reads`);
  }
  return parseLayoutIndex(await readFile(where), dir, "ERR_BUNDLE_CORRUPT").manifests;
}

/** The full reference an index.json entry is served as. */
function referenceOf(descriptor: Descriptor, repository: string): string {
  const name = descriptor.annotations?.[REF_NAME_ANNOTATION];
  if (name === undefined || name === "") return `${repository}@${descriptor.digest}`;
  return /[/:@]/.test(name) ? name : `${repository}:${name}`;
}

/** A valid repository path made of the directory's name ("My Images" → "my-images"). */
export function repositoryOfDirectory(dir: string): string {
  const name = basename(resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/[._-]{2,}/g, "-")
    .replace(/^[._-]+|[._-]+$/g, "");
  return findPathProblem(name) === undefined ? name : "layout";
}
