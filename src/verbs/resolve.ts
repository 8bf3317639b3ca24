import { AirlockError } from "../errors.js";
import { parseManifest, type ParsedManifest } from "../oci/manifest.js";
import { formatPlatform, listPlatforms, parsePlatform, selectPlatform } from "../oci/platform.js";
import type { ImageConfig, Platform } from "../oci/types.js";
import type { Reference } from "../ref/reference.js";
import { formatReference } from "../ref/reference.js";
import type { FetchedManifest, RegistryClient } from "../registry/client.js";

/** A reference resolved to one manifest, with the top-level manifest it came from. */
export interface ResolvedManifest {
  /** The manifest the reference names (an index for multi-platform images). */
  top: FetchedManifest;
  /** The selected manifest: `top` itself, or the platform's child of an index. */
  manifest: FetchedManifest;
  parsed: ParsedManifest;
}

/** The reference's own tag or digest, the digest winning when both are given. */
export function referenceTarget(ref: Reference): string {
  return ref.digest ?? ref.tag ?? "latest";
}

/** The platform this machine runs, as skopeo and crane default to. */
export function hostPlatform(): Platform {
  const arch: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386" };
  return { os: "linux", architecture: arch[process.arch] ?? process.arch };
}

/**
 * Fetches the reference's manifest; when `platform` is given and the manifest
 * is an index, follows it to that platform's child. Without a platform an
 * index is returned as it is, unless `image` asks for an image, in which case
 * this machine's platform is chosen (as skopeo and crane do).
 */
export async function resolveManifest(
  client: RegistryClient,
  ref: Reference,
  select: { platform?: string | Platform; image?: boolean; signal?: AbortSignal },
): Promise<ResolvedManifest> {
  const { signal } = select;
  // A bad --platform is refused before any request is made.
  const asked = typeof select.platform === "string" ? parsePlatform(select.platform) : select.platform;
  const top = await client.manifestGet(ref.repository, referenceTarget(ref), { signal });
  const parsed = parseManifest(top.bytes, top.mediaType, `manifest ${formatReference(ref)}`);
  const want = asked ?? (select.image === true && parsed.kind === "index" ? hostPlatform() : undefined);
  if (want === undefined) return { top, manifest: top, parsed };
  if (parsed.kind === "image") {
    await checkImagePlatform(client, ref, parsed, want, signal);
    return { top, manifest: top, parsed };
  }
  const child = selectPlatform(parsed.index.manifests, want);
  if (child === undefined) {
    const have = listPlatforms(parsed.index.manifests).join(", ") || "none";
    throw new AirlockError(
      "ERR_PLATFORM_NOT_FOUND",
      `${formatReference(ref)} has no ${formatPlatform(want)} image; it has: ${have}`,
    );
  }
  const manifest = await client.manifestGet(ref.repository, child.digest, { signal });
  const childParsed = parseManifest(manifest.bytes, manifest.mediaType, `manifest ${child.digest}`);
  return { top, manifest, parsed: childParsed };
}

async function checkImagePlatform(
  client: RegistryClient,
  ref: Reference,
  parsed: Extract<ParsedManifest, { kind: "image" }>,
  want: Platform,
  signal?: AbortSignal,
): Promise<void> {
  const config = await fetchImageConfig(client, ref.repository, parsed, signal);
  if (config.os === undefined || config.architecture === undefined) return;
  const have: Platform = { os: config.os, architecture: config.architecture };
  if (config.variant !== undefined) have.variant = config.variant;
  const matches = selectPlatform([{ mediaType: "", digest: "", size: 0, platform: have }], want);
  if (matches === undefined) {
    throw new AirlockError(
      "ERR_PLATFORM_NOT_FOUND",
      `${formatReference(ref)} is a single ${formatPlatform(have)} image, not ${formatPlatform(want)}`,
    );
  }
}

/** Reads and parses an image's config blob (small, held in memory, verified). */
export async function fetchImageConfig(
  client: RegistryClient,
  repository: string,
  parsed: Extract<ParsedManifest, { kind: "image" }>,
  signal?: AbortSignal,
): Promise<ImageConfig> {
  const bytes = await client.blobGetBytes(repository, parsed.manifest.config, { signal });
  try {
    return JSON.parse(bytes.toString("utf8")) as ImageConfig;
  } catch (err) {
    throw new AirlockError(
      "ERR_MANIFEST_INVALID",
      `config ${parsed.manifest.config.digest} is not valid JSON`,
      {
        cause: err,
      },
    );
  }
}
