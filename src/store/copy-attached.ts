/**
 * What is attached to an image (cosign's signature, attestation and SBOM tags; OCI 1.1
 * referrers) copied after it, on the one graph copy: each attached manifest is one more graph —
 * its blobs through the run's session, its manifest, then cosign's tag — and, once a subject's
 * referrers are all in, they are made listed under it (the registry's referrers API, or the
 * fallback tag's index merged with what is there; see ImageTarget.referrersAdd).
 */
import { parseManifest } from "../oci/manifest.js";
import type { Descriptor } from "../oci/types.js";
import { copyGraph, type CopyGraphOptions } from "./copy-graph.js";
import { planCopy } from "./copy-plan.js";
import type { ImageSource, ImageTarget } from "./image-store.js";

/** One manifest attached to a copied image. */
export interface AttachedItem {
  /** "cosign-sig", "cosign-att", "cosign-sbom" or "referrer". */
  kind: string;
  /** The digest of the manifest it is attached to. */
  subject: string;
  /** cosign's tag ("sha256-<hex>.sig"); absent for referrers, which go by digest. */
  tag?: string;
  descriptor: Descriptor;
}

export interface AttachedOutcome {
  kind: string;
  subject: string;
  tag?: string;
  digest: string;
  /** "copied", "unchanged" (there already), "skipped" (its tag names another manifest, --on-existing-tag skip), "would-copy" (dry run). */
  status: "copied" | "unchanged" | "skipped" | "filtered" | "would-copy";
}

export type CopyAttachedOptions = Pick<
  CopyGraphOptions,
  "session" | "progress" | "existingTag" | "signal" | "what" | "onEvent"
>;

/** Attached manifests are image manifests: there is no platform to choose. */
const NO_PLATFORM = { os: "", architecture: "" };

/**
 * Copies `items` (subjects before what is attached to them) from `source` into `target`, one
 * after another, then lists each subject's referrers. Everything an item reaches is told to
 * `progress` as present once it is there.
 */
export async function copyAttached(
  items: readonly AttachedItem[],
  source: ImageSource,
  target: ImageTarget,
  options: CopyAttachedOptions = {},
): Promise<AttachedOutcome[]> {
  const outcomes: AttachedOutcome[] = [];
  const referrers = new Map<string, Descriptor[]>();
  for (const item of items) {
    const plan = await planCopy(
      source,
      item.descriptor,
      target,
      { all: true, fallback: NO_PLATFORM },
      options.signal,
    );
    const copied = await copyGraph(plan, source, target, {
      ...options,
      ...(item.tag !== undefined ? { tag: item.tag } : {}),
      what: `${options.what ?? source.name}: ${item.kind} ${item.descriptor.digest}`,
    });
    for (const d of [...plan.blobs, plan.top.descriptor]) options.progress?.present(d);
    const { kind, subject, tag } = item;
    outcomes.push({
      kind,
      subject,
      ...(tag !== undefined ? { tag } : {}),
      digest: copied.descriptor.digest,
      status: copied.status,
    });
    if (item.kind === "referrer") {
      referrers.set(subject, [
        ...(referrers.get(subject) ?? []),
        referrerDescriptor(plan.top.descriptor, plan.top.bytes),
      ]);
    }
  }
  if (options.session?.dryRun !== true && target.referrersAdd !== undefined) {
    for (const [subject, listed] of referrers)
      await target.referrersAdd(subject, listed, { signal: options.signal });
  }
  return outcomes;
}

/**
 * A referrer as a referrers index lists it: its descriptor, its `artifactType` (else its
 * config's media type) and its annotations, as the OCI distribution spec asks.
 */
export function referrerDescriptor(descriptor: Descriptor, bytes: Buffer): Descriptor {
  const parsed = parseManifest(bytes, descriptor.mediaType, `referrer ${descriptor.digest}`);
  const { mediaType, digest, size } = descriptor;
  const m = parsed.kind === "image" ? parsed.manifest : parsed.index;
  const artifactType =
    m.artifactType ?? (parsed.kind === "image" ? parsed.manifest.config.mediaType : undefined);
  return {
    mediaType,
    digest,
    size,
    ...(artifactType !== undefined ? { artifactType } : {}),
    ...(m.annotations !== undefined ? { annotations: m.annotations } : {}),
  };
}
