/**
 * Before a delta bundle is pushed: the target must hold every config and
 * layer the delta leaves out. Each is looked for with HEADs, in parallel,
 * where it is expected (the site repository an inventory named, the
 * repository a base's image is pushed to, the push journal, the
 * repositories that need it); where it is found the copy session learns it,
 * so the push mounts it from there. If any is missing, nothing is written.
 */
import { bundleDeltaMarker } from "../bundle/delta-marker.js";
import { AirlockError } from "../errors.js";
import { parseManifest } from "../oci/manifest.js";
import type { DeltaMarker, DeltaOmitted } from "../plan/delta-types.js";
import { targetName, type TargetNaming } from "../ref/target-name.js";
import type { RegistryClient } from "../registry/client.js";
import type { BundleSource } from "../store/bundle-store.js";
import type { CopySession } from "../store/copy-session.js";
import { mapSettled } from "../util/pool.js";

export interface DeltaCheck {
  source: BundleSource;
  marker: DeltaMarker;
  /** Bundles pushed before this one in the run: what they carry will be there. */
  earlier: readonly BundleSource[];
  client: RegistryClient;
  session: CopySession;
  naming: TargetNaming;
  /** The push journal's locations: digest → repository. */
  journal: Map<string, string>;
  concurrency: number;
  signal?: AbortSignal;
}

/** The bundle's delta marker, undefined for a full bundle. */
export function deltaMarkerOf(source: BundleSource): DeltaMarker | undefined {
  return bundleDeltaMarker(source.reader);
}

/** A left-out blob nowhere in the target. */
interface Missing {
  omitted: DeltaOmitted;
  repositories: string[];
}

/**
 * Checks the target holds what the delta leaves out, teaching the session where each is.
 * @throws AirlockError ERR_USAGE for an inventory base of another prefix, ERR_DELTA_BASE_MISSING naming what is missing.
 */
export async function checkDeltaTarget(check: DeltaCheck): Promise<void> {
  const { marker, source, naming } = check;
  checkPrefix(check);
  const needs = await neededIn(source, new Set(marker.omitted.map((o) => o.digest)), naming);
  const pending = marker.omitted.filter(
    (o) => needs.has(o.digest) && !check.earlier.some((e) => e.has(o.digest)),
  );
  const results = await mapSettled(pending, check.concurrency, (o) =>
    locate(check, o, needs.get(o.digest) ?? []),
  );
  const missing: Missing[] = [];
  for (const r of results) {
    if (r.status === "rejected") throw r.reason;
    if (r.value !== undefined) missing.push(r.value);
  }
  if (missing.length > 0) throw missingError(check, missing);
}

/** An inventory names where it was taken: a delta against it goes there (or under it). */
function checkPrefix({ marker, source, naming }: DeltaCheck): void {
  const to = naming.prefix ?? "";
  for (const base of marker.bases) {
    const at = base.prefix;
    if (base.kind !== "inventory" || at === undefined || at === "") continue;
    if (to === at || to.startsWith(`${at}/`)) continue;
    const where = `${base.registry ?? "the registry"}/${at}`;
    throw new AirlockError(
      "ERR_USAGE",
      `${source.reader.file} is a delta against the inventory of ${where}, not of prefix "${to}": push it with --to ${where}, or make the delta against an inventory of this target`,
    );
  }
}

/** digest → the target repositories whose images reference it, for the left-out blobs. */
async function neededIn(
  source: BundleSource,
  omitted: Set<string>,
  naming: TargetNaming,
): Promise<Map<string, string[]>> {
  const needs = new Map<string, string[]>();
  for (const ref of source.reader.refs()) {
    const { repository } = targetName(ref.reference, naming);
    for (const digest of await blobsOf(source, ref.descriptor)) {
      if (!omitted.has(digest)) continue;
      const repos = needs.get(digest) ?? [];
      if (!repos.includes(repository)) repos.push(repository);
      needs.set(digest, repos);
    }
  }
  return needs;
}

/** Every config and layer an image the bundle carries references (its carried platforms for an index). */
async function blobsOf(
  source: BundleSource,
  top: { digest: string; size: number; mediaType: string },
): Promise<string[]> {
  const parsed = parseManifest(await source.manifestGet(top), top.mediaType, `${source.name}: ${top.digest}`);
  if (parsed.kind === "image")
    return [parsed.manifest.config, ...parsed.manifest.layers].map((d) => d.digest);
  const children = parsed.index.manifests.filter((d) => source.has(d.digest));
  return (await Promise.all(children.map((c) => blobsOf(source, c)))).flat();
}

/** HEADs where the blob is expected until one holds it (the session learns where); undefined when found. */
async function locate(
  check: DeltaCheck,
  o: DeltaOmitted,
  repositories: string[],
): Promise<Missing | undefined> {
  const { client, naming, signal } = check;
  const expected = [
    o.repository,
    o.source === undefined ? undefined : targetName(o.source, naming).repository,
    check.journal.get(o.digest),
    ...repositories,
  ];
  const candidates = [...new Set(expected.filter((r): r is string => r !== undefined))];
  for (const repository of candidates) {
    if ((await client.blobHead(repository, o.digest, { signal })) === o.size) {
      check.session.knownAt(client.registry, o.digest, repository);
      return undefined;
    }
  }
  return { omitted: o, repositories };
}

function missingError(check: DeltaCheck, missing: Missing[]): AirlockError {
  const { marker, source } = check;
  const bases = [...new Set(missing.map((m) => m.omitted.base))].map((i) => {
    const b = marker.bases[i];
    return b === undefined ? "?" : `${b.file} (${b.kind}, sha256 ${b.sha256.slice(0, 12)})`;
  });
  const named = missing
    .slice(0, 3)
    .map((m) => `${m.omitted.digest} for ${m.repositories.join(", ")}`)
    .join("; ");
  const more = missing.length > 3 ? `; and ${missing.length - 3} more` : "";
  return new AirlockError(
    "ERR_DELTA_BASE_MISSING",
    `${source.reader.file} is a delta: the target lacks ${missing.length} of the blobs it leaves out, which its base ${bases.join(", ")} held (${named}${more}); nothing was pushed: push the base first, or make the delta against an inventory of this target`,
  );
}
