import { AirlockError } from "../errors.js";
import { formatReference, formatRepository, parseReference } from "../ref/reference.js";
import type { ImageConfig } from "../oci/types.js";
import { withClient, type PlatformOptions } from "./options.js";
import { fetchImageConfig, resolveManifest } from "./resolve.js";

/** skopeo inspect's summary of an image, field for field. */
export interface ImageInspection {
  Name: string;
  Digest: string;
  RepoTags: string[];
  Created?: string;
  DockerVersion: string;
  Labels: Record<string, string> | null;
  Architecture: string;
  Os: string;
  Variant?: string;
  Layers: string[];
  LayersData: {
    MIMEType: string;
    Digest: string;
    Size: number;
    Annotations: Record<string, string> | null;
  }[];
  Env: string[] | null;
}

export interface InspectOptions extends PlatformOptions {
  /** Skip listing the repository's tags (RepoTags stays empty), as skopeo --no-tags. */
  noTags?: boolean;
}

/**
 * A skopeo-inspect-like summary. `Digest` is the digest of what the reference
 * names (the index for a multi-platform image); the rest describes the image
 * for `platform`, by default this machine's.
 */
export async function inspectImage(
  reference: string,
  options: InspectOptions = {},
): Promise<ImageInspection> {
  const ref = parseReference(reference);
  return await withClient(ref.registry, options, async (c) => {
    const resolved = await resolveManifest(c, ref, { ...options, image: true });
    const parsed = resolved.parsed;
    if (parsed.kind !== "image") {
      throw new AirlockError(
        "ERR_MANIFEST_UNSUPPORTED",
        `${formatReference(ref)}: the platform's entry is itself an index`,
      );
    }
    const config = await fetchImageConfig(c, ref.repository, parsed, options.signal);
    const tags = options.noTags === true ? [] : await c.tagList(ref.repository, options);
    return summarize(formatRepository(ref), resolved.top.digest, tags, config, parsed.manifest.layers);
  });
}

function summarize(
  name: string,
  digest: string,
  tags: string[],
  config: ImageConfig,
  layers: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }[],
): ImageInspection {
  // Keys in skopeo's order, so the JSON reads the same.
  const out: ImageInspection = {
    Name: name,
    Digest: digest,
    RepoTags: tags,
    ...(config.created !== undefined ? { Created: config.created } : {}),
    DockerVersion: (config as { docker_version?: string }).docker_version ?? "",
    Labels: config.config?.Labels ?? null,
    Architecture: config.architecture ?? "",
    ...(config.variant !== undefined ? { Variant: config.variant } : {}),
    Os: config.os ?? "",
    Layers: layers.map((l) => l.digest),
    LayersData: layers.map((l) => ({
      MIMEType: l.mediaType,
      Digest: l.digest,
      Size: l.size,
      Annotations: l.annotations ?? null,
    })),
    Env: config.config?.Env ?? null,
  };
  return out;
}
