import { formatBytes } from "../../plan/diff-format.js";
import { flag, stringValue, type Command } from "../command.js";
import { count, describeContent } from "../counts.js";
import { writeJson } from "../output.js";
import { createProgress, showing } from "../progress.js";
import { tellFiltered } from "../filtered-notes.js";
import { onBundleEvent } from "../progress-events.js";
import { parseConcurrency, parseSize } from "../parse.js";
import { requiredPolicy } from "./signatures.js";

export const createBundleCommand: Command = {
  name: "create-bundle",
  summary: "write every locked image into one deduplicated OCI-layout tarball",
  usage: "[-f FILE] [--lock LOCK] [-o bundles/NAME.tar] [--since BASE…]",
  help: `Writes everything the lock pins into one uncompressed OCI image layout tarball: each blob
once across all images and platforms, the upstream top manifests byte for byte (a sparse
index when platforms were filtered), index.json naming every reference, and the lock at the
root. The same lock gives a byte-identical tarball. Blobs are verified as they stream
from the registries into NAME.tar.partial, renamed when complete (an interrupted run keeps it
and its journal, and a re-run continues it); NAME.tar.sha256 records the bundle's digest.
The cache keeps manifests and configs as files and the layers inside the bundles it wrote
(a later bundle copies them from there, while those bundles stay where they were written).
Without a lock, the list is resolved and the lock written first; a stale lock is refused.
  -f, --file FILE          the image list (default airlock.yaml)
  --lock LOCK              the lock (default: beside the list)
  -o, --output FILE        the bundle (default bundles/<list name>-<lock hash>.tar)
  --update-lock            re-lock a stale lock instead of refusing
  --platform P             carry only this platform of what the lock pins; repeatable
  --cache DIR              blob cache (default $XDG_CACHE_HOME/airlock)
  --cache-layers           also keep every downloaded layer as a file in the cache (for bundles
                           that are moved or removed before the next one is made)
  --concurrency N          downloads in flight per registry (default 8)
  --split SIZE             write parts smaller than SIZE (e.g. 4G for FAT32, 700M), each a valid
                           OCI layout of whole images that can be verified and pushed on its own
  --require-signatures POLICY  refuse to write anything unless every image's signature (checked
                           in its registry) satisfies the policy file; an entry's verify: wins
  --since BASE             a delta: leave out the configs and layers BASE holds (an inventory.json
                           from airlock inventory at the site, an older lock, or an older bundle);
                           every manifest is carried, the bundle names its bases; repeatable
  --trusted-root FILE      carry this sigstore trusted_root.json in the bundle, for keyless
                           verify-signatures and push-bundle --require-signatures inside the gap
  -q, --quiet              no progress, no summary
  --json                   print a JSON summary on stdout at the end`,
  options: {
    file: { type: "string", short: "f" },
    lock: { type: "string" },
    output: { type: "string", short: "o" },
    "update-lock": { type: "boolean" },
    platform: { type: "string", multiple: true },
    cache: { type: "string" },
    "cache-layers": { type: "boolean" },
    concurrency: { type: "string" },
    split: { type: "string" },
    "require-signatures": { type: "string" },
    since: { type: "string", multiple: true },
    "trusted-root": { type: "string" },
  },
  args: [0, 0],
  async run({ values, remote, io, say, log, json }) {
    const platforms = values.platform;
    const since = values.since;
    const split = stringValue(values, "split");
    const { createBundle } = await import("../../verbs/create-bundle.js");
    const requireSignatures = await requiredPolicy(values);
    const progress = await createProgress(io.stderr, { enabled: !flag(values, "quiet"), say });
    const result = await showing(progress, () =>
      createBundle({
        ...remote,
        file: stringValue(values, "file"),
        lockFile: stringValue(values, "lock"),
        output: stringValue(values, "output"),
        updateLock: flag(values, "update-lock"),
        platforms: Array.isArray(platforms) ? platforms.map(String) : undefined,
        cacheDir: stringValue(values, "cache"),
        cacheLayers: flag(values, "cache-layers"),
        concurrency: parseConcurrency(stringValue(values, "concurrency")),
        splitBytes: split === undefined ? undefined : parseSize(split),
        since: Array.isArray(since) ? since.map(String) : undefined,
        onEvent: onBundleEvent(progress),
        requireSignatures,
        trustedRoot: stringValue(values, "trusted-root"),
      }),
    );
    if (json) await writeJson(io.stdout, result);
    for (const base of result.delta?.bases ?? []) {
      if (base.shared === 0) {
        log.warn(`--since ${base.file} shares no layer or config with this lock: it leaves nothing out`);
      }
    }
    tellFiltered(result.filtered, say, log);
    if (!flag(values, "quiet")) {
      const where = result.parts.length > 1 ? `${result.parts.length} parts` : result.file;
      say(
        `wrote ${where} (${formatBytes(result.size)}): ${describeContent(result)}; ${result.downloaded} downloaded, ${result.cached} from cache`,
      );
      const d = result.delta;
      if (d !== undefined) {
        const bases = d.bases.map((b) => `${b.file} (${b.kind})`).join(", ");
        say(
          `a delta against ${bases}: ${count(d.blobsOmitted, "blob")} left out, ${formatBytes(d.bytesOmitted)} saved; the target must hold them`,
        );
      }
      for (const p of result.parts) say(`sha256 ${p.sha256}  ${p.file}`);
      say(`checksums in ${result.sha256File}`);
    }
  },
};
