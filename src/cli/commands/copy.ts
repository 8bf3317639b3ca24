import type { CopyEvent, CopyOptions, CopyResult } from "../../verbs/copy.js";
import type { PullFormat } from "../../verbs/pull-push.js";
import { sideTlsOptions } from "../argv.js";
import {
  flag,
  stringValue,
  type Command,
  type CommandContext,
  type OptionSpec,
  type OptionValues,
} from "../command.js";
import {
  SIDE_CREDS_HELP,
  SIDE_CREDS_OPTIONS,
  sideCredentials,
  withSideCredentials,
} from "../credential-flags.js";
import { writeJson, writeLines } from "../output.js";
import { parseConcurrency } from "../parse.js";
import { createProgress, showing } from "../progress.js";
import { onCopyEvent } from "../progress-events.js";

const SELECT_OPTIONS: OptionSpec = {
  all: { type: "boolean", short: "a" },
  platform: { type: "string", multiple: true },
  "preserve-digests": { type: "boolean" },
  concurrency: { type: "string" },
};

const SELECT_HELP = `  -a, --all              every platform of a multi-platform image, the index byte for byte
  --platform os/arch[/v] that platform's image alone; repeat for a new index of several
                         (default: this machine's platform)
  --preserve-digests     fail instead of writing manifests with new digests
  --concurrency N        blobs in flight at once (default 4)
  -q, --quiet            print only the digest
  --json                 the result as JSON: digests, images, blobs copied`;

/** skopeo copy's per-side TLS flags. */
const SIDE_TLS_OPTIONS: OptionSpec = {
  "src-tls-verify": { type: "boolean" },
  "dest-tls-verify": { type: "boolean" },
};
const SIDE_TLS_HELP = `  --src-tls-verify=false, --dest-tls-verify=false
                         skip TLS verification on that side only (--tls-verify=false: both)`;

const TRANSPORT_HELP = `Locations, with skopeo's transport names:
  docker://REF or REF     an image in a registry
  oci:DIR[:REF]           an OCI image layout directory (REF: its ref.name)
  oci-archive:FILE[:REF]  an OCI image layout in a tar
  docker-archive:FILE[:REF]  what docker save writes and docker load reads
  dir:DIR                 skopeo's dir format
  bundle:FILE[:REF]       an airlock bundle (read-only)`;

function selectOptions(values: OptionValues, remote: CopyOptions): CopyOptions {
  const platforms = values.platform;
  return {
    ...remote,
    all: flag(values, "all"),
    platforms: Array.isArray(platforms) ? platforms.map(String) : undefined,
    preserveDigests: flag(values, "preserve-digests"),
    concurrency: parseConcurrency(stringValue(values, "concurrency")),
    ...sideTlsOptions(values),
  };
}

/** Runs a copy with the progress display fed by its events. */
async function withProgress<T>(
  ctx: CommandContext,
  run: (onEvent: (e: CopyEvent) => void) => Promise<T>,
): Promise<T> {
  const progress = await createProgress(ctx.io.stderr, { enabled: !flag(ctx.values, "quiet"), say: ctx.say });
  return await showing(progress, () => run(onCopyEvent(progress)));
}

async function report(
  result: CopyResult,
  what: { source: string; destination: string; done: string },
  ctx: {
    values: OptionValues;
    io: { stdout: NodeJS.WritableStream };
    say: (l: string) => void;
    json: boolean;
  },
): Promise<void> {
  const { values, io, say } = ctx;
  if (ctx.json)
    return await writeJson(io.stdout, { source: what.source, destination: what.destination, ...result });
  if (!flag(values, "quiet")) {
    const kept = result.digestsKept ? "" : " (manifests rebuilt: new digests)";
    say(
      `${what.done}: ${result.images} image(s), ${result.copied} blob(s) copied, ${result.existing} already there${kept}`,
    );
  }
  await writeLines(io.stdout, [result.digest]);
}

export const copyCommand: Command = {
  name: "copy",
  aliases: ["cp"],
  summary: "copy an image between registries, layouts and archives (skopeo copy)",
  usage: "SRC DST",
  help: `Copies the image SRC names to DST, from any transport to any transport, and prints the
digest written. Blobs stream verified from source to destination (registry to registry
without touching disk; within one registry they are mounted); manifests are written
children first; files and directories appear only when complete. Digests are kept
whenever the destination can hold the manifests as they are (not docker-archive, which
rebuilds them).
${TRANSPORT_HELP}
${SELECT_HELP}
  --referrers            also copy what is attached to the copied manifests (cosign's .sig/.att/
                         .sbom tags, OCI referrers, to depth 3), after them; registry to registry
${SIDE_TLS_HELP}
${SIDE_CREDS_HELP}`,
  options: { ...SELECT_OPTIONS, referrers: { type: "boolean" }, ...SIDE_TLS_OPTIONS, ...SIDE_CREDS_OPTIONS },
  args: [2, 2],
  async run(ctx) {
    const [src = "", dst = ""] = ctx.positionals;
    const sides = await sideCredentials(ctx.values, ctx.io, ctx.remote.signal);
    const { copyImage } = await import("../../verbs/copy.js");
    const options = withSideCredentials(selectOptions(ctx.values, ctx.remote), sides);
    const referrers = flag(ctx.values, "referrers");
    const result = await withProgress(ctx, (onEvent) =>
      copyImage(src, dst, { ...options, referrers, onEvent }),
    );
    await report(result, { source: src, destination: dst, done: `copied ${src} to ${dst}` }, ctx);
  },
};

export const pullCommand: Command = {
  name: "pull",
  summary: "write an image into a tarball: docker load's format or an OCI layout",
  usage: "REF FILE",
  help: `Writes the image REF names into FILE (crane pull) and prints its digest: by default a
docker-archive that docker load accepts (manifest.json with Config, RepoTags, Layers;
layers as stored, gzip or not), or with --format oci an OCI layout tar naming the image
REF (digests kept). FILE appears only when complete.
  --format oci|docker    the tarball's format (default docker)
${SELECT_HELP}`,
  options: { ...SELECT_OPTIONS, format: { type: "string" } },
  registryRefs: { args: [0] },
  args: [2, 2],
  async run(ctx) {
    const { positionals, values, remote } = ctx;
    const [ref = "", file = ""] = positionals;
    const format = (stringValue(values, "format") ?? "docker") as PullFormat;
    const { pullImage } = await import("../../verbs/pull-push.js");
    const options = { ...selectOptions(values, remote), format };
    const result = await withProgress(ctx, (onEvent) => pullImage(ref, file, { ...options, onEvent }));
    await report(result, { source: ref, destination: file, done: `pulled ${ref} into ${file}` }, ctx);
  },
};

export const pushCommand: Command = {
  name: "push",
  summary: "push an image from a tarball or layout directory to a registry",
  usage: "FILE REF",
  help: `Pushes the image in FILE to REF (crane push) and prints its digest. FILE is an
oci-archive or a docker-archive (told apart by content), an OCI layout directory or a
dir: directory; one that holds several images needs a location instead
(airlock copy oci-archive:FILE:NAME REF). Every platform is pushed unless --platform
picks some.
${SELECT_HELP}`,
  options: SELECT_OPTIONS,
  registryRefs: { args: [1] },
  args: [2, 2],
  async run(ctx) {
    const { positionals, values, remote } = ctx;
    const [file = "", ref = ""] = positionals;
    const options = selectOptions(values, remote);
    const { pushImage } = await import("../../verbs/pull-push.js");
    const all = options.all === true ? true : undefined;
    const result = await withProgress(ctx, (onEvent) => pushImage(file, ref, { ...options, all, onEvent }));
    await report(result, { source: file, destination: ref, done: `pushed ${file} to ${ref}` }, ctx);
  },
};
