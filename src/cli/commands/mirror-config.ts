import { AirlockError } from "../../errors.js";
import type { MirrorConfigResult, MirrorFormat } from "../../verbs/mirror-config.js";
import { flag, stringValue, type Command, type CommandContext, type OptionValues } from "../command.js";
import { writeJson, writeOut } from "../output.js";

export const mirrorConfigCommand: Command = {
  name: "mirror-config",
  summary: "write containerd, CRI-O/podman or k3s config that pulls upstream names from the site registry",
  usage: "LOCK|BUNDLE… --to REGISTRY[/PREFIX] --format containerd|registries.conf|k3s [-o DIR|FILE]",
  help: `Writes the container runtime configuration that makes a node pull every image of the locks
or bundles by its original name (docker.io/library/nginx:1.27, ghcr.io/org/app@sha256:…) from
the site registry, where push-bundle put it: the same --to, --keep-host and --mapping name the
same repositories. Every upstream host the images come from is covered.
  --to REGISTRY[/PREFIX]   the site registry, as given to push-bundle (required)
  --plain-http             the site registry speaks plain HTTP (http:// endpoints; insecure = true)
  --format FORMAT          containerd   certs.d/<host>/hosts.toml per upstream host (the site as a
                                        pull/resolve host; override_path under a prefix); put the
                                        tree at the CRI config_path (/etc/containerd/certs.d) or
                                        pass it to ctr --hosts-dir
                           registries.conf  [[registry]] prefix with a [[registry.mirror]] each
                                        (CRI-O, podman, skopeo, buildah): /etc/containers/registries.conf
                                        or a drop-in in /etc/containers/registries.conf.d/
                           k3s          /etc/rancher/k3s/registries.yaml (also RKE2): mirrors with
                                        endpoint and rewrite, configs with tls
  --keep-host              as push-bundle --keep-host
  --mapping FILE           as push-bundle --mapping
  -o, --output DIR|FILE    write there (a directory: every file, e.g. certs.d/ or the CA copies;
                           a file: registries.conf or registries.yaml alone); default: stdout
  --ca-file FILE           the CA the site's certificate is signed by: copied into the containerd
                           tree (ca = "site-ca.crt"), to certs.d/<site>/ca.crt beside registries.conf,
                           and named by its absolute path in registries.yaml (tls.ca_file)
  --insecure               do not verify the site's certificate (skip_verify, insecure,
                           insecure_skip_verify)
  --json                   the files and hosts as JSON`,
  options: {
    to: { type: "string" },
    format: { type: "string" },
    "keep-host": { type: "boolean" },
    mapping: { type: "string" },
    output: { type: "string", short: "o" },
  },
  registryRefs: { flags: ["to"] },
  args: [1, Infinity],
  async run(ctx) {
    const { values, positionals, remote, io, json } = ctx;
    const to = stringValue(values, "to");
    if (to === undefined) throw new AirlockError("ERR_USAGE", "mirror-config needs --to REGISTRY[/PREFIX]");
    const format = stringValue(values, "format");
    if (format === undefined) {
      throw new AirlockError("ERR_USAGE", "mirror-config needs --format containerd, registries.conf or k3s");
    }
    const { mirrorConfig } = await import("../../verbs/mirror-config.js");
    const result = await mirrorConfig(positionals, {
      ...mirrorFlags(values, remote),
      format: format as MirrorFormat,
      to,
    });
    const output = stringValue(values, "output");
    const note = digestNote(result);
    if (note !== undefined) ctx.say(note);
    if (output !== undefined) return void (await writeTold(result, output, ctx));
    if (json) return void (await writeJson(io.stdout, result));
    await printFiles(result, io.stdout);
  },
};

/** What a bundle's sparse indexes mean for digests at the site; nothing for a lock (not judged). */
function digestNote(result: MirrorConfigResult): string | undefined {
  const filtered = result.filtered;
  if (filtered === undefined) return undefined;
  if (filtered.length === 0) return "digests: every image keeps its upstream digest at any registry";
  const named =
    filtered
      .slice(0, 3)
      .map((f) => f.reference)
      .join(", ") + (filtered.length > 3 ? ` and ${filtered.length - 3} more` : "");
  return `note: ${filtered.length} images are sparse indexes (${named}): at a registry that refuses them, their tag names a new index; push-bundle's digest map says which digests to use`;
}

/** The naming flags push-bundle and mirror-config share, and the TLS globals. */
export function mirrorFlags(
  values: OptionValues,
  remote: CommandContext["remote"],
): { keepHost: boolean; mappingFile?: string; plainHttp?: boolean; insecure?: boolean; caFiles?: string[] } {
  const mappingFile = stringValue(values, "mapping");
  return {
    keepHost: flag(values, "keep-host"),
    ...(mappingFile !== undefined ? { mappingFile } : {}),
    ...(remote.plainHttp !== undefined ? { plainHttp: remote.plainHttp } : {}),
    ...(remote.insecure !== undefined ? { insecure: remote.insecure } : {}),
    ...(remote.caFiles !== undefined ? { caFiles: remote.caFiles } : {}),
  };
}

/** Writes the files and says where they went (and, with --json, what). */
export async function writeTold(
  result: MirrorConfigResult,
  output: string,
  { io, say, json }: Pick<CommandContext, "io" | "say" | "json">,
): Promise<void> {
  const { writeMirrorConfig } = await import("../../verbs/mirror-config.js");
  const written = await writeMirrorConfig(result, output);
  if (json) await writeJson(io.stdout, { ...result, written });
  const hosts = result.hosts.map((h) => h.host).join(", ");
  say(
    `wrote ${result.format} mirror configuration for ${hosts} (${result.images} images): ${written.join(", ")}`,
  );
  for (const f of result.files.slice(written.length)) {
    say(
      `note: ${f.path} not written (-o names a file, not a directory): it belongs in /etc/containers/${f.path}`,
    );
  }
}

/** One file as it is; several each after a "# ==> PATH <==" line. */
async function printFiles(result: MirrorConfigResult, out: NodeJS.WritableStream): Promise<void> {
  if (result.files.length === 1) return void (await writeOut(out, result.files[0]?.content ?? ""));
  const parts = result.files.map(
    (f) => `# ==> ${f.path} <==\n${f.content}${f.content.endsWith("\n") ? "" : "\n"}`,
  );
  await writeOut(out, parts.join("\n"));
}

/** push-bundle --mirror-config FORMAT --mirror-config-out PATH: checked before the push. */
export interface MirrorRequest {
  format: MirrorFormat;
  output: string;
}

/** The push's --mirror-config request, or undefined; a usage error before anything is pushed. */
export function mirrorRequestOf(values: OptionValues): MirrorRequest | undefined {
  const format = stringValue(values, "mirror-config");
  const output = stringValue(values, "mirror-config-out");
  if (format === undefined && output === undefined) return undefined;
  if (format === undefined || output === undefined) {
    throw new AirlockError(
      "ERR_USAGE",
      "--mirror-config FORMAT and --mirror-config-out DIR|FILE go together (e.g. --mirror-config containerd --mirror-config-out certs.d/)",
    );
  }
  if (!["containerd", "registries.conf", "k3s"].includes(format)) {
    throw new AirlockError(
      "ERR_USAGE",
      `--mirror-config must be one of containerd, registries.conf, k3s, not "${format}"`,
    );
  }
  return { format: format as MirrorFormat, output };
}

/** Renders the push's mirror configuration once before the push, so a naming it cannot express stops the run first. */
export async function checkPushMirrorConfig(
  request: MirrorRequest | undefined,
  bundles: string[],
  to: string,
  ctx: Pick<CommandContext, "values" | "remote">,
): Promise<void> {
  if (request === undefined) return;
  const { mirrorConfig } = await import("../../verbs/mirror-config.js");
  await mirrorConfig(bundles, { ...mirrorFlags(ctx.values, ctx.remote), format: request.format, to });
}

/**
 * After a push with no failures, the mirror configuration for what it pushed,
 * plain HTTP when the push spoke it. Returns what was written.
 */
export async function writePushMirrorConfig(
  request: MirrorRequest,
  bundles: string[],
  push: { to: string; registryUrl?: string; failed: number },
  ctx: Pick<CommandContext, "values" | "remote" | "say">,
): Promise<{ format: MirrorFormat; written: string[] } | undefined> {
  if (push.failed > 0) {
    ctx.say(`note: no mirror configuration written: ${push.failed} images failed to push`);
    return undefined;
  }
  const { mirrorConfig, writeMirrorConfig } = await import("../../verbs/mirror-config.js");
  const flags = mirrorFlags(ctx.values, ctx.remote);
  const plainHttp = flags.plainHttp === true || push.registryUrl?.startsWith("http:") === true;
  const result = await mirrorConfig(bundles, { ...flags, plainHttp, format: request.format, to: push.to });
  const written = await writeMirrorConfig(result, request.output);
  ctx.say(
    `wrote ${request.format} mirror configuration for ${result.hosts.map((h) => h.host).join(", ")}: ${written.join(", ")}`,
  );
  return { format: request.format, written };
}
