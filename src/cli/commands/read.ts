import { PLATFORM_OPTION, flag, stringValue, type Command } from "../command.js";
import { streamOut, writeJson, writeLines, writeOut } from "../output.js";

/** The read verbs, loaded when a command runs (not for --help). */
const readVerbs = () => import("../../verbs/read.js");

/** The first argument is a registry reference (docker://REF is taken). */
const REF_ARG = { args: [0] } as const;

const PLATFORM_HELP = `  --platform os/arch[/variant]   pick that platform's manifest out of a multi-platform image`;

export const lsCommand: Command = {
  name: "ls",
  registryRefs: REF_ARG,
  summary: "list a repository's tags, one per line",
  usage: "REPO",
  help: "Lists the tags of REPO (e.g. registry.example.com/team/app), one per line, as the registry returns them.",
  options: {},
  args: [1, 1],
  async run({ positionals, remote, io, json }) {
    const { listTags } = await readVerbs();
    const tags = await listTags(positionals[0] ?? "", remote);
    await (json ? writeJson(io.stdout, tags) : writeLines(io.stdout, tags));
  },
};

export const catalogCommand: Command = {
  name: "catalog",
  registryRefs: REF_ARG,
  summary: "list a registry's repositories, one per line",
  usage: "REGISTRY",
  help: "Lists the repositories of REGISTRY (host[:port]), one per line, following pagination.",
  options: {},
  args: [1, 1],
  async run({ positionals, remote, io, json }) {
    const { listCatalog } = await readVerbs();
    const repositories = await listCatalog(positionals[0] ?? "", remote);
    await (json ? writeJson(io.stdout, repositories) : writeLines(io.stdout, repositories));
  },
};

export const digestCommand: Command = {
  name: "digest",
  registryRefs: REF_ARG,
  summary: "print the digest of a reference's manifest",
  usage: "REF",
  help: `Prints the digest of the manifest REF names: of the index itself for a multi-platform
image, or of one platform's manifest with --platform.
${PLATFORM_HELP}`,
  options: PLATFORM_OPTION,
  args: [1, 1],
  async run({ positionals, values, remote, io, json }) {
    const { getManifest } = await readVerbs();
    const m = await getManifest(positionals[0] ?? "", {
      ...remote,
      platform: stringValue(values, "platform"),
    });
    if (json) await writeJson(io.stdout, { digest: m.digest, mediaType: m.mediaType, size: m.bytes.length });
    else await writeLines(io.stdout, [m.digest]);
  },
};

export const manifestCommand: Command = {
  name: "manifest",
  registryRefs: REF_ARG,
  summary: "print a manifest exactly as the registry serves it",
  usage: "REF",
  help: `Prints the manifest REF names, byte for byte as served (no newline added): the index
itself for a multi-platform image, or one platform's manifest with --platform.
${PLATFORM_HELP}`,
  options: PLATFORM_OPTION,
  args: [1, 1],
  async run({ positionals, values, remote, io }) {
    const { getManifest } = await readVerbs();
    const m = await getManifest(positionals[0] ?? "", {
      ...remote,
      platform: stringValue(values, "platform"),
    });
    await writeOut(io.stdout, m.bytes);
  },
};

export const configCommand: Command = {
  name: "config",
  registryRefs: REF_ARG,
  summary: "print an image's config blob",
  usage: "REF",
  help: `Prints the config blob of the image REF names, bytes as stored. For a multi-platform
image without --platform, this machine's platform is used.
${PLATFORM_HELP}`,
  options: PLATFORM_OPTION,
  args: [1, 1],
  async run({ positionals, values, remote, io }) {
    const { getConfig } = await readVerbs();
    const bytes = await getConfig(positionals[0] ?? "", {
      ...remote,
      platform: stringValue(values, "platform"),
    });
    await writeOut(io.stdout, bytes);
  },
};

export const blobCommand: Command = {
  name: "blob",
  registryRefs: REF_ARG,
  summary: "write a blob to stdout, verified against its digest",
  usage: "REPO@DIGEST",
  help: "Streams the blob REPO@sha256:… to stdout; fails (and says so) if the bytes do not match the digest.",
  options: {},
  args: [1, 1],
  async run({ positionals, remote, io }) {
    const { getBlob } = await readVerbs();
    await streamOut(await getBlob(positionals[0] ?? "", remote), io.stdout);
  },
};

export const inspectCommand: Command = {
  name: "inspect",
  registryRefs: REF_ARG,
  summary: "summarise an image as JSON (like skopeo inspect)",
  usage: "REF",
  help: `Prints a JSON summary of the image REF names, in skopeo inspect's fields. Digest is the
digest of what REF names (the index for a multi-platform image); the rest describes one
platform: --platform, else this machine's.
${PLATFORM_HELP}
  --raw        print the manifest bytes instead (the index for a multi-platform image)
  --config     print the image's config instead (with --raw: its bytes as stored)
  --no-tags    do not list the repository's tags (RepoTags stays empty)`,
  options: {
    ...PLATFORM_OPTION,
    raw: { type: "boolean" },
    config: { type: "boolean" },
    "no-tags": { type: "boolean" },
  },
  args: [1, 1],
  async run({ positionals, values, remote, io }) {
    const ref = positionals[0] ?? "";
    const platform = stringValue(values, "platform");
    const { getConfig, getManifest } = await readVerbs();
    if (flag(values, "config")) {
      const bytes = await getConfig(ref, { ...remote, platform });
      const text = flag(values, "raw")
        ? bytes
        : JSON.stringify(JSON.parse(bytes.toString("utf8")), null, 4) + "\n";
      await writeOut(io.stdout, text);
      return;
    }
    if (flag(values, "raw")) {
      await writeOut(io.stdout, (await getManifest(ref, { ...remote, platform })).bytes);
      return;
    }
    const { inspectImage } = await import("../../verbs/inspect.js");
    const summary = await inspectImage(ref, { ...remote, platform, noTags: flag(values, "no-tags") });
    await writeOut(io.stdout, JSON.stringify(summary, null, 4) + "\n");
  },
};

export const manifestDigestCommand: Command = {
  name: "manifest-digest",
  summary: "print the digest of a manifest file",
  usage: "FILE",
  help: "Prints the digest a registry would give the manifest in FILE (sha256 of its exact bytes).",
  options: {},
  args: [1, 1],
  async run({ positionals, io, json }) {
    const { manifestDigest } = await readVerbs();
    const digest = await manifestDigest(positionals[0] ?? "");
    await (json ? writeJson(io.stdout, { digest }) : writeLines(io.stdout, [digest]));
  },
};
