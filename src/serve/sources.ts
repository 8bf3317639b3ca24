/**
 * What `serve` reads: bundle tars and OCI layout directories, opened as the
 * store's sources (BundleSource, OciDirStore), each with the references its
 * images are served under. Blobs are read through the source's `blobLocate`
 * (by offset, so ranges cost nothing), manifests through `manifestGet`.
 */
import { stat } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { AirlockError, fileErrorReason } from "../errors.js";
import { REF_NAME_ANNOTATION } from "../oci/layout.js";
import type { Descriptor } from "../oci/types.js";
import { findPathProblem } from "../ref/grammar.js";
import { BundleSource } from "../store/bundle-store.js";
import type { ImageSource } from "../store/image-store.js";
import { layoutAttached, type AttachedRef } from "../store/layout-attached.js";
import { layoutRefs, type LayoutRef } from "../store/layout-index.js";
import { OciDirStore } from "../store/oci-dir-store.js";

/** A source that can say where its blobs lie. */
export type LocatingSource = ImageSource & Required<Pick<ImageSource, "blobLocate">>;

/** One bundle (or part of one) or layout directory, and the images it names. */
export interface ServedSource {
  /** The path it was opened from, for messages. */
  readonly name: string;
  readonly store: LocatingSource;
  /** The images it names as full references ("host/team/app:1.2"), in its index.json's order. */
  readonly refs: readonly LayoutRef[];
  /** What a bundle carries attached to its images (cosign's tags, referrers), served beside them. */
  readonly attached: readonly AttachedRef[];
}

/** Opens a bundle tar (a file) or an OCI layout (a directory). */
export async function openServedSource(path: string, signal?: AbortSignal): Promise<ServedSource> {
  const info = await stat(path).catch((err: unknown) => {
    throw new AirlockError("ERR_FILE", `cannot read ${path}: ${fileErrorReason(err)}`, { cause: err });
  });
  if (info.isDirectory()) {
    const store = await OciDirStore.open(path);
    const repository = `localhost/${repositoryOfDirectory(path)}`;
    const refs = (await store.layoutIndex()).manifests.map((descriptor) => ({
      reference: referenceOf(descriptor, repository),
      descriptor,
    }));
    return { name: path, store, refs, attached: [] };
  }
  if (info.isFile()) {
    // A part of a split bundle without index.json only contributes blobs.
    const store = await BundleSource.open(path, undefined, signal);
    const index = await store.layoutIndex();
    return { name: path, store, refs: layoutRefs(index), attached: layoutAttached(index) };
  }
  throw new AirlockError("ERR_FILE", `${path} is neither a bundle file nor an OCI layout directory`);
}

/**
 * The full reference a layout directory's index.json entry is served as.
 * One named with a full reference ("registry.example.com/team/app:1.2",
 * "busybox:1.36") keeps it; one named with a bare tag ("v1", as skopeo's
 * `oci:DIR:v1` writes) becomes that tag of a repository named after the
 * directory; one without a name is served by digest only, in that same repository.
 */
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
