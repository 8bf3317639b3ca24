import { AirlockError } from "../../errors.js";
import type { SyncedImage } from "../../verbs/sync.js";
import { sideTlsOptions } from "../argv.js";
import { flag, stringValue, type Command } from "../command.js";
import { SIDE_CREDS_OPTIONS, sideCredentials, withSideCredentials } from "../credential-flags.js";
import type { ImageFailure } from "../failures.js";
import { writeJson, writeLines } from "../output.js";
import { parseConcurrency } from "../parse.js";
import { createProgress, showing } from "../progress.js";
import { onSyncEvent } from "../progress-events.js";
import { reportFailures } from "../report.js";

export const syncCommand: Command = {
  name: "sync",
  summary: "copy every image of a skopeo sync YAML into a registry (skopeo sync)",
  usage: "--src yaml FILE --dest REGISTRY[/PREFIX]",
  help: `Copies every image FILE lists into REGISTRY[/PREFIX], several at once, and prints one
"SOURCE DESTINATION DIGEST" line per image. FILE is a skopeo sync YAML (or any image list
airlock reads: airlock.yaml, mindthegap images.yaml, a text list); its per-registry
tls-verify, cert-dir and credentials apply to the sources; regex and semver selectors
list the source's tags. As with skopeo, an image goes to DEST/<last path part>:TAG,
and a multi-platform image gives this machine's platform unless --all. Every image is
tried; the failures are told at the end, one line per cause, before what was synced.
skopeo's own form "--src yaml --dest docker FILE DEST" works too.
  --src yaml             the source is an image list file (the only kind)
  --dest REGISTRY[/PREFIX]   where the images go
  -a, --all              every platform, indexes byte for byte
  --scoped               DEST/<host>/<full path>:TAG instead of DEST/<last part>:TAG
  --referrers            also copy what is attached to each image (cosign's tags, OCI referrers),
                         as the list's signatures/referrers/artifactTypes settings choose
  --concurrency N        images at once (default 4)
  --src-creds USER[:PASS]   credentials for the source registries, where FILE gives none
                            (asks for PASS on a terminal)
  --dest-creds USER[:PASS]  credentials for the destination registry
  --src-tls-verify=false, --dest-tls-verify=false
                         skip TLS verification for the sources or the destination only
  --json                 the images as JSON: source, destination, digest or error`,
  options: {
    src: { type: "string" },
    dest: { type: "string" },
    all: { type: "boolean", short: "a" },
    scoped: { type: "boolean" },
    referrers: { type: "boolean" },
    concurrency: { type: "string" },
    ...SIDE_CREDS_OPTIONS,
    "src-tls-verify": { type: "boolean" },
    "dest-tls-verify": { type: "boolean" },
  },
  registryRefs: { args: [1], flags: ["dest"] },
  args: [1, 2],
  async run({ positionals, values, remote, io, say, log, json }) {
    const src = stringValue(values, "src") ?? "yaml";
    if (src !== "yaml") throw new AirlockError("ERR_USAGE", `--src must be yaml, not "${src}"`);
    let dest = stringValue(values, "dest");
    if (dest === "docker" && positionals.length === 2) dest = positionals[1];
    else if (positionals.length === 2)
      throw new AirlockError("ERR_USAGE", "sync takes one FILE; give the destination with --dest");
    if (dest === undefined) throw new AirlockError("ERR_USAGE", "--dest REGISTRY[/PREFIX] is required");
    const sides = await sideCredentials(values, io, remote.signal);
    const { syncImages } = await import("../../verbs/sync.js");
    const told: SyncedImage[] = [];
    let synced: SyncedImage[];
    const progress = await createProgress(io.stderr, { enabled: !flag(values, "quiet"), say });
    try {
      synced = await showing(progress, () =>
        syncImages(positionals[0] ?? "", dest, {
          ...remote,
          ...withSideCredentials(sideTlsOptions(values), sides),
          all: flag(values, "all"),
          scoped: flag(values, "scoped"),
          referrers: flag(values, "referrers"),
          concurrency: parseConcurrency(stringValue(values, "concurrency")),
          onImage: (s) => void told.push(s),
          onEvent: onSyncEvent(progress),
        }),
      );
    } catch (err) {
      // Every image told and some failed: the failures are grouped below; anything else stands.
      if (remote.signal?.aborted === true || !told.some((s) => s.error !== undefined)) throw err;
      synced = told;
    }
    const ok = synced.filter((s) => s.error === undefined);
    if (json) await writeJson(io.stdout, synced);
    else
      await writeLines(
        io.stdout,
        ok.map((s) => `${s.source} ${s.destination} ${s.digest ?? ""}`),
      );
    const code = reportFailures(failuresOf(synced), { stderr: io.stderr, log, json });
    const failed = synced.length - ok.length;
    if (failed === 0) say(`synced ${ok.length} images to ${dest}`);
    else if (ok.length > 0)
      say(`${failed} of ${synced.length} images failed; ${ok.length} synced to ${dest}`);
    return code;
  },
};

function failuresOf(synced: readonly SyncedImage[]): ImageFailure[] {
  return synced.flatMap((s) => (s.error === undefined ? [] : [{ reference: s.source, ...s.error }]));
}
