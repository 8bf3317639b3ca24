import { AirlockError, RegistryError } from "../errors.js";
import { findTagProblem } from "../ref/grammar.js";
import { formatReference, formatRepository, parseReference } from "../ref/reference.js";
import { withClient, type RemoteOptions } from "./options.js";
import { referenceTarget } from "./resolve.js";

/** What a tag or delete did. */
export interface RefResult {
  /** The full reference written or deleted: "host/repo:tag", "host/repo@sha256:…". */
  reference: string;
  digest: string;
}

/**
 * Gives the manifest REF names another tag in the same repository, without
 * pulling anything but the manifest (crane tag): the bytes are PUT unchanged.
 * @throws AirlockError ERR_USAGE when `newTag` is not a tag.
 */
export async function tagImage(
  reference: string,
  newTag: string,
  options: RemoteOptions = {},
): Promise<RefResult> {
  const problem = findTagProblem(newTag);
  if (problem !== undefined) {
    throw new AirlockError(
      "ERR_USAGE",
      `"${newTag}" is not a tag (${problem}); airlock tag retags within a repository, use airlock copy to copy elsewhere`,
    );
  }
  const ref = parseReference(reference);
  return await withClient(ref.registry, options, async (client) => {
    const manifest = await client.manifestGet(ref.repository, referenceTarget(ref), options);
    await client.manifestPut(ref.repository, newTag, manifest.bytes, manifest.mediaType, options);
    return { reference: `${formatRepository(ref)}:${newTag}`, digest: manifest.digest };
  });
}

/**
 * Deletes the manifest REF names (crane delete). A tag is resolved to its
 * digest first, since registries delete by digest; every tag pointing at
 * that manifest goes with it.
 * @throws AirlockError ERR_UNSUPPORTED when the registry has deletion turned off;
 *   ERR_NOT_FOUND when there is nothing to delete.
 */
export async function deleteImage(reference: string, options: RemoteOptions = {}): Promise<RefResult> {
  const ref = parseReference(reference);
  return await withClient(ref.registry, options, async (client) => {
    let digest = ref.digest;
    if (digest === undefined) {
      const found = await client.manifestHead(ref.repository, referenceTarget(ref), options);
      if (found === undefined) throw new AirlockError("ERR_NOT_FOUND", `${formatReference(ref)}: not found`);
      digest = found.digest;
    }
    const name = `${formatRepository(ref)}@${digest}`;
    try {
      await client.manifestDelete(ref.repository, digest, options);
    } catch (err) {
      if (err instanceof RegistryError && err.status === 405) {
        throw new AirlockError(
          "ERR_UNSUPPORTED",
          `cannot delete ${name}: registry ${ref.registry} has deletion turned off (HTTP 405; for registry:2, set storage.delete.enabled: true)`,
          { cause: err },
        );
      }
      throw err;
    }
    return { reference: name, digest };
  });
}
