/** airlock.yaml → ImageList: schema first, then the checks a schema cannot make. */

import { readAttached } from "./attached.js";
import { isRecord, type ReadContext, type ReadEntry } from "./context.js";
import { reportDuplicates } from "./duplicates.js";
import { readImage } from "./image-entry.js";
import { DEFAULT_PLATFORMS, normalizePlatforms } from "./platforms.js";
import { readRegistries } from "./registries.js";
import * as airlockList from "../generated/validate-airlock-list.js";
import { schemaErrors } from "./schema-check.js";
import { reportSchemaErrors, type SchemaMessages } from "./schema-messages.js";
import type { ImageList } from "./types.js";
import { readVerify } from "./verify.js";

const PLATFORMS_EXPECTED = 'must be "all" or a list of platforms such as [linux/amd64, linux/arm64]';

/** Wording for schema locations where the generic message would be vague. */
const MESSAGES: SchemaMessages = {
  "#/type": "must be a mapping with an `images` list (an airlock.yaml image list)",
  "#/required": 'an image list needs "images": a list of references',
  "#/properties/images/type": 'must be a list of images (references, or mappings with "ref")',
  "#/properties/images/minItems": "must list at least one image",
  "#/$defs/platforms/type": PLATFORMS_EXPECTED,
  "#/$defs/platforms/then/const": PLATFORMS_EXPECTED,
  "#/$defs/platforms/else/minItems": PLATFORMS_EXPECTED,
  "#/$defs/image/type": 'must be a reference string or a mapping with "ref"',
  "#/$defs/entry/required": 'an image entry needs "ref", e.g. ref: ghcr.io/org/app',
  "#/$defs/envName/pattern":
    "must be the NAME of an environment variable (letters, digits and _, e.g. REG_USER), not its value",
};

/**
 * Reads an airlock.yaml document. Problems go to `ctx.reporter`; the list
 * returned is only meaningful when none were reported.
 */
export function readAirlockList(value: unknown, ctx: ReadContext): ImageList {
  reportSchemaErrors(schemaErrors(airlockList, value), ctx.reporter, MESSAGES);
  const root = isRecord(value) ? value : {};
  const defaults = isRecord(root.defaults) ? root.defaults.platforms : undefined;
  const platforms = (defaults === undefined
    ? undefined
    : normalizePlatforms(defaults, ["defaults", "platforms"], ctx.reporter)) ?? [...DEFAULT_PLATFORMS];
  const registries = readRegistries(root.registries, ctx);
  const read: ReadEntry[] = [];
  if (Array.isArray(root.images)) {
    root.images.forEach((item, i) => {
      const entry = readImage(item, ["images", i], platforms, ctx);
      const attached = readAttached(root.defaults, item);
      if (entry !== undefined && attached !== undefined) entry.entry.attached = attached;
      const verify = readVerify(item, ctx.dir);
      if (entry !== undefined && verify !== undefined) entry.entry.verify = verify;
      if (entry !== undefined) read.push(entry);
    });
  }
  reportDuplicates(read, ctx.reporter);
  return { file: ctx.file, format: "airlock", platforms, registries, images: read.map((r) => r.entry) };
}
