import { AirlockError } from "../errors.js";
import type { ImageEntry } from "../imagelist/types.js";
import { parseManifest, type ParsedManifest } from "../oci/manifest.js";
import {
  formatPlatform,
  isAttestation,
  listPlatforms,
  parsePlatform,
  selectPlatform,
} from "../oci/platform.js";
import type { Descriptor, ImageConfig } from "../oci/types.js";
import { formatReference } from "../ref/reference.js";
import { compareArtifacts } from "./artifact-order.js";
import { attachedOf } from "./resolve-attached.js";
import type { LockedAttestation, LockedImage, LockedPlatform } from "./lock-types.js";

/** buildx's annotation naming the manifest an attestation is about. */
const ATTESTATION_SUBJECT = "vnd.docker.reference.digest";
import type { Resolver, ResolvedBytes } from "./resolver.js";
import type { Target } from "./select-tags.js";

type ImageParsed = Extract<ParsedManifest, { kind: "image" }>;

/**
 * Resolves one tag or digest to its top manifest and the selected platforms'
 * manifests, configs and layers. The top manifest is recorded as served (the
 * upstream index, even when only some of its children are selected).
 */
export async function resolveImage(
  entry: ImageEntry,
  target: Target,
  resolver: Resolver,
): Promise<LockedImage> {
  const reference = formatReference({ registry: entry.registry, repository: entry.repository, ...target });
  const top = await resolver.manifest(
    entry.registry,
    entry.repository,
    target.digest ?? target.tag ?? "latest",
  );
  const parsed = parseManifest(top.bytes, top.mediaType, `manifest ${reference}`);
  const platforms =
    parsed.kind === "index"
      ? await platformsOfIndex(entry, reference, parsed.index.manifests, resolver)
      : await platformsOfImage(entry, reference, top, parsed, resolver);
  const image: LockedImage = {
    reference,
    digest: top.digest,
    mediaType: top.mediaType,
    size: top.size,
    platforms,
  };
  if (target.tag !== undefined) image.tag = target.tag;
  if (parsed.kind === "index") {
    const attestations = await attestationsOf(entry, parsed.index.manifests, platforms, resolver);
    if (attestations.length > 0) image.attestations = attestations;
  }
  const attached = await attachedOf(entry, [top.digest, ...platforms.map((p) => p.digest)], resolver);
  if (attached.length > 0) image.attached = attached.sort(compareArtifacts);
  return image;
}

async function platformsOfIndex(
  entry: ImageEntry,
  reference: string,
  children: Descriptor[],
  resolver: Resolver,
): Promise<LockedPlatform[]> {
  const runnable = children.filter((d) => !isAttestation(d));
  const chosen = new Map<string, Descriptor>();
  const missing: string[] = [];
  if (entry.platforms === "all") {
    for (const d of runnable) {
      const name = formatPlatform(d.platform ?? { os: "linux", architecture: "amd64" });
      if (!chosen.has(name)) chosen.set(name, d);
    }
  } else {
    for (const name of entry.platforms) {
      const child = selectPlatform(runnable, parsePlatform(name));
      if (child === undefined) missing.push(name);
      else chosen.set(name, child);
    }
  }
  checkMissing(entry, reference, missing, listPlatforms(runnable), chosen.size);
  const locked: LockedPlatform[] = [];
  for (const [name, child] of [...chosen].sort(([a], [b]) => a.localeCompare(b))) {
    const bytes = await resolver.manifest(entry.registry, entry.repository, child.digest);
    const parsed = parseManifest(
      bytes.bytes,
      bytes.mediaType,
      `manifest ${child.digest} (${name}) of ${reference}`,
    );
    if (parsed.kind !== "image") {
      throw new AirlockError(
        "ERR_MANIFEST_UNSUPPORTED",
        `${reference}: the ${name} entry is itself an index`,
      );
    }
    locked.push(lockedPlatform(name, bytes, parsed));
  }
  return locked;
}

async function platformsOfImage(
  entry: ImageEntry,
  reference: string,
  top: ResolvedBytes,
  parsed: ImageParsed,
  resolver: Resolver,
): Promise<LockedPlatform[]> {
  const config = await resolver.config(entry.registry, entry.repository, parsed.manifest.config);
  const name = configPlatform(config);
  const wanted =
    entry.platforms === "all" || entry.platforms.some((p) => formatPlatform(parsePlatform(p)) === name);
  if (!wanted) {
    const asked = entry.platforms === "all" ? [] : entry.platforms;
    checkMissing(entry, reference, asked, [name], 0);
    return [];
  }
  return [lockedPlatform(name, top, parsed)];
}

/** The attestation manifests whose subject is one of the selected platforms' manifests. */
async function attestationsOf(
  entry: ImageEntry,
  children: Descriptor[],
  platforms: LockedPlatform[],
  resolver: Resolver,
): Promise<LockedAttestation[]> {
  const selected = new Set(platforms.map((p) => p.digest));
  const out: LockedAttestation[] = [];
  for (const d of children.filter(isAttestation)) {
    const subject = d.annotations?.[ATTESTATION_SUBJECT];
    if (subject === undefined || !selected.has(subject)) continue;
    const bytes = await resolver.manifest(entry.registry, entry.repository, d.digest);
    const parsed = parseManifest(bytes.bytes, bytes.mediaType, `attestation ${d.digest}`);
    if (parsed.kind !== "image") continue;
    const { platform: _unused, ...rest } = lockedPlatform("unknown/unknown", bytes, parsed);
    out.push({ subject, ...rest });
  }
  return out.sort((a, b) => (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0));
}

function configPlatform(config: ImageConfig): string {
  return formatPlatform({
    os: config.os ?? "linux",
    architecture: config.architecture ?? "amd64",
    ...(config.variant !== undefined ? { variant: config.variant } : {}),
  });
}

function checkMissing(
  entry: ImageEntry,
  reference: string,
  missing: string[],
  available: string[],
  found: number,
): void {
  if (missing.length === 0 || (entry.optionalPlatforms && found > 0)) return;
  const has = available.length > 0 ? available.join(", ") : "none";
  const hint = entry.optionalPlatforms ? "" : " (set optionalPlatforms: true to skip missing platforms)";
  throw new AirlockError(
    "ERR_PLATFORM_NOT_FOUND",
    `${reference} has no ${missing.join(", ")}; it has: ${has}${hint}`,
  );
}

function lockedPlatform(platform: string, bytes: ResolvedBytes, parsed: ImageParsed): LockedPlatform {
  const blob = (d: Descriptor): { digest: string; size: number; mediaType: string } => ({
    digest: d.digest,
    size: d.size,
    mediaType: d.mediaType,
  });
  return {
    platform,
    digest: bytes.digest,
    mediaType: bytes.mediaType,
    size: bytes.size,
    config: blob(parsed.manifest.config),
    layers: parsed.manifest.layers.map(blob),
  };
}
