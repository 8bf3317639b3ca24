import { AirlockError } from "../../errors.js";
import { formatBytes } from "../../plan/diff-format.js";
import { flag, stringValue, type Command, type OptionValues } from "../command.js";
import { count, describeContent } from "../counts.js";
import type { PushBundleResult } from "../../verbs/push-bundle.js";
import { writeJson, writeOut } from "../output.js";
import { parseConcurrency, parseSize } from "../parse.js";
import { createProgress, showing } from "../progress.js";
import { onPushEvent, onVerifyEvent } from "../progress-events.js";
import { reportFailures } from "../report.js";
import { checkPushMirrorConfig, mirrorRequestOf, writePushMirrorConfig } from "./mirror-config.js";
import { requiredPolicy } from "./signatures.js";

export const verifyBundleCommand: Command = {
  name: "verify-bundle",
  summary: "check bundles offline: layout, safe paths, every blob's digest, completeness, the lock",
  usage: "BUNDLE…",
  help: `Reads each bundle once, streaming from the tar without extracting it, and checks: a valid OCI
image layout; every entry's path safe (no "..", absolute paths, links or duplicates); every
blob's size and sha256; every manifest reachable from index.json complete (a sparse index may
lack only platforms its lock left out); every signature, attestation, SBOM and referrer attached
to a manifest the bundle holds; agreement with the bundled lock. A delta bundle
(create-bundle --since) may lack the configs and layers it names as left out: those it lists,
each with its base, as what the target must hold. Exit 6 when a bundle fails, naming each problem.
  --json   the reports as JSON on stdout`,
  options: {},
  args: [1, Infinity],
  async run({ positionals, values, remote, io, say, json }) {
    const { verifyBundles } = await import("../../verbs/inspect-bundle.js");
    const progress = await createProgress(io.stderr, { enabled: !flag(values, "quiet"), say });
    const reports = await showing(progress, () =>
      verifyBundles(positionals, { signal: remote.signal, onEvent: onVerifyEvent(progress) }),
    );
    if (json) return void (await writeJson(io.stdout, reports));
    for (const r of reports) {
      const attached = r.attached > 0 ? `, ${count(r.attached, "attached manifest")}` : "";
      say(`${r.file}: ok (${describeContent(r)}${attached}, ${formatBytes(r.bytes)} verified)`);
      const d = r.delta;
      if (d === undefined) continue;
      const bases = d.bases.map((b) => b.file).join(", ");
      say(
        `  a delta against ${bases}: the target must hold ${count(d.needs.length, "blob")} (${formatBytes(d.bytes)}):`,
      );
      for (const n of d.needs)
        say(`  needs ${n.digest} (${formatBytes(n.size)}) from ${d.bases[n.base]?.file ?? "?"}`);
    }
  },
};

export const inspectBundleCommand: Command = {
  name: "inspect-bundle",
  summary: "list a bundle's images, tags, platforms and sizes",
  usage: "BUNDLE [--json]",
  help: `Lists what a bundle holds, from its index.json and bundled lock: each image, and under it
what travels attached to it (cosign's signatures, attestations and SBOMs, OCI referrers) with
the manifest each is attached to.
  --json   machine-readable output`,
  options: {},
  args: [1, 1],
  async run({ positionals, io, json }) {
    const { inspectBundle } = await import("../../verbs/inspect-bundle.js");
    const summary = await inspectBundle(positionals[0] ?? "");
    if (json) return void (await writeJson(io.stdout, summary));
    const lines = [
      `${summary.file}: ${describeContent({ ...summary, images: summary.images.length })}, ${formatBytes(summary.bytes)}`,
    ];
    const d = summary.delta;
    if (d !== undefined) {
      const bases = d.bases.map((b) => `${b.file} (${b.kind}, sha256 ${b.sha256.slice(0, 12)})`).join(", ");
      lines.push(
        `a delta against ${bases}: ${count(d.blobsOmitted, "blob")} left out, ${formatBytes(d.bytesOmitted)} saved; the target must hold them`,
      );
    }
    for (const i of summary.images) {
      const platforms = i.platforms.map((p) => p.platform).join(", ") || "-";
      lines.push(`${i.reference}  ${i.digest.slice(0, 19)}  ${formatBytes(i.bytes)}  [${platforms}]`);
      for (const a of i.attached) {
        const name = a.tag ?? a.artifactType ?? a.mediaType;
        lines.push(
          `  ${a.kind} ${name}  ${a.digest.slice(0, 19)} on ${a.subject.slice(0, 19)}  ${formatBytes(a.bytes)}`,
        );
      }
    }
    await writeOut(io.stdout, lines.join("\n") + "\n");
  },
};

const POLICIES = ["overwrite", "skip", "error"] as const;

export const pushBundleCommand: Command = {
  name: "push-bundle",
  summary: "push bundles into a registry, skipping what is there and resuming after faults",
  usage: "BUNDLE… --to REGISTRY[/PREFIX]",
  help: `Pushes every image of the bundles into REGISTRY, under PREFIX when given. The target repository
is the source path without its host (docker.io/library/busybox:1.36 → REGISTRY/PREFIX/library/busybox:1.36).
Blobs are read straight from the tar and verified as they leave; per image, blobs go first, then
platform manifests, then the index, and the tag last, so a tag never points at an incomplete image.
Blobs already present are skipped and blobs pushed to another repository in this run are mounted.
A journal on disk lets a re-run after a crash resume without asking again for finished blobs.
What the bundle carries attached to an image follows it into the same repository: cosign's
.sig/.att/.sbom as tags, OCI referrers by digest, listed (where the registry has no referrers
API) in the fallback tag sha256-<hex>, merged with what that index already lists.
  --to REGISTRY[/PREFIX]          the target (required)
  --keep-host                     keep the source host as the first path component
  --mapping FILE                  YAML "mappings: [{from, to}]" rules for repository names
  --on-existing-tag POLICY        overwrite (default), skip, or error when a tag has another digest
  --sparse-index filter|upstream  when the registry refuses a sparse index: push an index of the
                                  carried platforms (filter, default: the digest changes) or fail
  --concurrency N                 blob transfers in flight (default 8)
  --chunk-size SIZE               send blobs larger than SIZE (e.g. 64M) in chunks of SIZE, for
                                  proxies that cap request bodies (default: one PUT up to 1 GiB)
  --dry-run                       what would be pushed, in bytes; writes nothing
  --journal FILE                  the push journal (default under $XDG_STATE_HOME/airlock/push/)
  --digest-map FILE               where the digest map goes (default: beside the journal, .digests):
                                  a sed script mapping each upstream top digest the site does not
                                  have to the one it has (sed -i -f FILE deploy/*.yaml)
  --mirror-config FORMAT          after a push without failures, write the runtime mirror configuration
  --mirror-config-out DIR|FILE    (containerd, registries.conf or k3s) there, as airlock mirror-config does
  --require-signatures POLICY     refuse to push anything unless every bundled image's signature,
                                  read from the bundle, satisfies the policy file (offline)
  --json                          a JSON summary on stdout
  -q, --quiet                     no progress, only the failures
Images that fail for the same reason are told in one line, before what was pushed.`,
  options: {
    to: { type: "string" },
    "keep-host": { type: "boolean" },
    mapping: { type: "string" },
    "on-existing-tag": { type: "string" },
    "sparse-index": { type: "string" },
    concurrency: { type: "string" },
    "chunk-size": { type: "string" },
    "dry-run": { type: "boolean" },
    journal: { type: "string" },
    "digest-map": { type: "string" },
    "mirror-config": { type: "string" },
    "mirror-config-out": { type: "string" },
    "require-signatures": { type: "string" },
  },
  registryRefs: { flags: ["to"] },
  args: [1, Infinity],
  async run({ positionals, values, remote, io, say, log, json }) {
    const to = stringValue(values, "to");
    if (to === undefined) throw new AirlockError("ERR_USAGE", "push-bundle needs --to REGISTRY[/PREFIX]");
    const quiet = flag(values, "quiet");
    const mirrorRequest = mirrorRequestOf(values);
    await checkPushMirrorConfig(mirrorRequest, positionals, to, { values, remote });
    const { pushBundle } = await import("../../verbs/push-bundle.js");
    const dryRun = flag(values, "dry-run");
    const requireSignatures = await requiredPolicy(values);
    const progress = await createProgress(io.stderr, { enabled: !quiet, say });
    const result = await showing(progress, () =>
      pushBundle(positionals, {
        ...remote,
        to,
        keepHost: flag(values, "keep-host"),
        mappingFile: stringValue(values, "mapping"),
        onExistingTag: choice(values, "on-existing-tag", POLICIES),
        sparseIndex: choice(values, "sparse-index", ["filter", "upstream"] as const),
        concurrency: parseConcurrency(stringValue(values, "concurrency")),
        chunkSize: chunkSizeOf(stringValue(values, "chunk-size")),
        dryRun,
        journalFile: stringValue(values, "journal"),
        digestMapFile: stringValue(values, "digest-map"),
        onEvent: onPushEvent(progress, dryRun),
        requireSignatures,
      }),
    );
    const mirror =
      mirrorRequest === undefined || dryRun
        ? undefined
        : await writePushMirrorConfig(
            mirrorRequest,
            positionals,
            { to, ...result, failed: result.failures.length },
            { values, remote, say },
          );
    if (json) await writeJson(io.stdout, mirror === undefined ? result : { ...result, mirrorConfig: mirror });
    // What failed first, then what was pushed; nothing pushed needs no summary.
    const code = reportFailures(result.failures, { stderr: io.stderr, log, json });
    if (result.images.length > 0 || result.failures.length === 0) say(pushSummary(result, dryRun));
    if (result.images.length > 0 && !dryRun) say(digestSummary(result));
    return code;
  },
};

function pushSummary(result: PushBundleResult, dryRun: boolean): string {
  const s = result.stats;
  if (dryRun) {
    return `dry run: would upload ${s.blobsToUpload} blobs (${formatBytes(s.bytesToUpload)}), mount ${s.mounted}, skip ${s.skipped} already there`;
  }
  const failed = result.failures.length;
  const attached = result.images.reduce((n, i) => n + (i.attached?.length ?? 0), 0);
  const images = `${result.images.length} images${attached > 0 ? ` (${attached} attached manifests)` : ""}`;
  const pushed = `${images}: ${s.uploaded} blobs uploaded (${formatBytes(s.bytesUploaded)}), ${s.mounted} mounted, ${s.skipped} already there; ${s.manifests} manifests, ${s.tags} tags`;
  const retried = result.retried > 0 ? `; ${result.retried} retried at the end of the run` : "";
  return failed === 0
    ? pushed + retried
    : `${failed} of ${failed + result.images.length} images failed; ${pushed}${retried}`;
}

/** Whether any tag now names another digest than upstream, and where the map that says so is. */
function digestSummary(result: PushBundleResult): string {
  const n = result.digestMap.length;
  if (n === 0) return "digests: every image has its upstream digest at the site";
  const what =
    result.digestMap
      .slice(0, 3)
      .map((c) => c.reference)
      .join(", ") + (n > 3 ? ` and ${n - 3} more` : "");
  const where =
    result.digestMapFile === undefined
      ? ""
      : `; sed -i -f ${result.digestMapFile} moves upstream pins to them`;
  return `digests: ${n === 1 ? "1 image has" : `${n} images have`} a new top digest at the site (${what})${where}`;
}

function choice<T extends string>(values: OptionValues, name: string, allowed: readonly T[]): T | undefined {
  const v = stringValue(values, name);
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) {
    throw new AirlockError("ERR_USAGE", `--${name} must be one of ${allowed.join(", ")}, not "${v}"`);
  }
  return v as T;
}

/** --chunk-size: a size of at least 4 KiB, "16M", "64MiB" or bytes. */
function chunkSizeOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  try {
    return parseSize(text);
  } catch {
    throw new AirlockError(
      "ERR_USAGE",
      `--chunk-size "${text}" is not a size of 4K or more (e.g. 16M, 64MiB)`,
    );
  }
}
