import { AirlockError } from "../errors.js";
import type { Descriptor, Platform } from "./types.js";

const ARCH_ALIASES: Record<string, string> = {
  aarch64: "arm64",
  x86_64: "amd64",
  "x86-64": "amd64",
  i386: "386",
  i686: "386",
  armhf: "arm",
  armel: "arm",
};

const PART = /^[a-z0-9._-]+$/i;

/**
 * Normalises the names people and registries use for one platform:
 * aarch64 and arm64/v8 are arm64, x86_64 is amd64, armhf and bare arm are arm/v7.
 */
export function normalizePlatform(platform: Platform): Platform {
  const os = platform.os.toLowerCase();
  const rawArch = platform.architecture.toLowerCase();
  const architecture = ARCH_ALIASES[rawArch] ?? rawArch;
  let variant = platform.variant?.toLowerCase();
  if (architecture === "arm64" && (variant === "v8" || variant === "8")) variant = undefined;
  if (architecture === "arm" && variant === undefined) variant = rawArch === "armel" ? "v6" : "v7";
  if (variant !== undefined && /^\d+$/.test(variant)) variant = "v" + variant;
  const out: Platform = { ...platform, os, architecture };
  if (variant === undefined) delete out.variant;
  else out.variant = variant;
  return out;
}

/** Parses "os/arch[/variant]" (e.g. "linux/arm/v7"), normalised. */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().split("/");
  const [os, architecture, variant] = parts;
  const valid = parts.length >= 2 && parts.length <= 3 && parts.every((p) => PART.test(p));
  if (!valid || os === undefined || architecture === undefined) {
    throw new AirlockError(
      "ERR_PLATFORM_INVALID",
      `invalid platform "${text}": expected os/arch[/variant], e.g. linux/amd64 or linux/arm/v7`,
    );
  }
  const platform: Platform = { os, architecture };
  if (variant !== undefined) platform.variant = variant;
  return normalizePlatform(platform);
}

/** "linux/arm/v7", normalised. */
export function formatPlatform(platform: Platform): string {
  const p = normalizePlatform(platform);
  return [p.os, p.architecture, p.variant].filter((x) => x !== undefined).join("/");
}

/** Attestation and other non-runnable entries that buildx puts in an index. */
export function isAttestation(descriptor: Descriptor): boolean {
  const p = descriptor.platform;
  return p !== undefined && p.os === "unknown" && p.architecture === "unknown";
}

/**
 * True when `have` satisfies `want`: same os and architecture after
 * normalisation; the variant and os.version only when `want` names them.
 * A descriptor without a platform counts as linux/amd64.
 */
export function platformMatches(want: Platform, have: Platform | undefined): boolean {
  const w = normalizePlatform(want);
  const h = normalizePlatform(have ?? { os: "linux", architecture: "amd64" });
  if (w.os !== h.os || w.architecture !== h.architecture) return false;
  if (w.variant !== undefined && w.variant !== h.variant) return false;
  if (w["os.version"] !== undefined && !osVersionMatches(w["os.version"], h["os.version"])) return false;
  return true;
}

/** Windows versions compare on major.minor.build. */
function osVersionMatches(want: string, have: string | undefined): boolean {
  if (have === undefined) return false;
  const prefix = (v: string): string => v.split(".").slice(0, 3).join(".");
  return prefix(want) === prefix(have);
}

/** The first runnable child of an index that matches, as the image-spec asks. */
export function selectPlatform(manifests: readonly Descriptor[], want: Platform): Descriptor | undefined {
  return manifests.find((d) => !isAttestation(d) && platformMatches(want, d.platform));
}

/** The runnable platforms an index offers, formatted, in index order. */
export function listPlatforms(manifests: readonly Descriptor[]): string[] {
  return manifests
    .filter((d) => !isAttestation(d))
    .map((d) => formatPlatform(d.platform ?? defaultPlatform()));
}

function defaultPlatform(): Platform {
  return { os: "linux", architecture: "amd64" };
}
