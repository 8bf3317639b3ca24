import { AirlockError } from "../errors.js";
import { formatReference } from "../ref/reference.js";
import { pushEdit, withImage, type EditOptions } from "./edit-image.js";

export interface RebaseOptions extends EditOptions {
  /** The base the image was built on. */
  oldBase: string;
  /** The base to put under it instead. */
  newBase: string;
}

/**
 * Swaps the base of an image (crane rebase): the image's layers must start
 * with the old base's; those are replaced by the new base's layers (with
 * their diff IDs and history), the rest kept. New base blobs are mounted
 * when the registry is the same, streamed otherwise.
 * @throws AirlockError ERR_USAGE when the image is not built on the old base.
 */
export async function rebaseImage(reference: string, options: RebaseOptions): Promise<string> {
  return await withImage(reference, options, (loaded) =>
    withImage(options.oldBase, options, (old) =>
      withImage(options.newBase, options, async (base) => {
        const layers = loaded.image.manifest.layers;
        const oldLayers = old.image.manifest.layers;
        const based = oldLayers.every((l, i) => layers[i]?.digest === l.digest);
        if (!based || oldLayers.length > layers.length) {
          throw new AirlockError(
            "ERR_USAGE",
            `${formatReference(loaded.ref)} is not built on ${formatReference(old.ref)}: its layers do not start with the base's`,
          );
        }
        const config = structuredClone(loaded.image.config);
        const own = (config.rootfs?.diff_ids ?? []).slice(oldLayers.length);
        config.rootfs = { type: "layers", diff_ids: [...(base.image.config.rootfs?.diff_ids ?? []), ...own] };
        const ownHistory = (config.history ?? []).slice((old.image.config.history ?? []).length);
        config.history = [...(base.image.config.history ?? []), ...ownHistory];
        const edit = {
          config,
          layers: [...base.image.manifest.layers, ...layers.slice(oldLayers.length)],
          blobSources: [base.source],
        };
        return await pushEdit(loaded, edit, options);
      }),
    ),
  );
}
