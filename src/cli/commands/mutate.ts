import { AirlockError } from "../../errors.js";
import type { ConfigChanges } from "../../verbs/mutate.js";
import { stringValue, type Command, type OptionSpec, type OptionValues } from "../command.js";
import { writeJson, writeLines } from "../output.js";

const EDIT_OPTIONS: OptionSpec = { tag: { type: "string", short: "t" }, platform: { type: "string" } };
const EDIT_HELP = `  -t, --tag REF          push the result here (default: REF's own tag, replacing it)
  --platform os/arch[/v] which image of a multi-platform REF (default: this machine's)`;

/** The image REF (and -t, --old-base, --new-base) name registries: docker://REF is taken. */
const EDIT_REFS = { args: [0], flags: ["tag", "old-base", "new-base"] } as const;

/** The new digest: a line, or {"digest"} with --json. */
async function printDigest(
  io: { stdout: NodeJS.WritableStream },
  json: boolean,
  digest: string,
): Promise<void> {
  await (json ? writeJson(io.stdout, { digest }) : writeLines(io.stdout, [digest]));
}

function editOptions(values: OptionValues): { tag?: string; platform?: string } {
  return { tag: stringValue(values, "tag"), platform: stringValue(values, "platform") };
}

function list(values: OptionValues, name: string): string[] | undefined {
  const v = values[name];
  return Array.isArray(v) ? v.map(String) : undefined;
}

/** "k=v" pairs into a record; a pair without "=" is bad input. */
export function parsePairs(
  pairs: string[] | undefined,
  flagName: string,
): Record<string, string> | undefined {
  if (pairs === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new AirlockError("ERR_USAGE", `--${flagName} takes KEY=VALUE, not "${pair}"`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** A JSON array ('["sh","-c"]') or comma-separated words ("sh,-c"), as crane takes them. */
export function parseArgv(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  if (!text.trimStart().startsWith("[")) return text === "" ? [] : text.split(",");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (!Array.isArray(value) || !value.every((x) => typeof x === "string")) {
    throw new AirlockError("ERR_USAGE", `expected a JSON array of strings, not ${text}`);
  }
  return value;
}

export const mutateCommand: Command = {
  name: "mutate",
  registryRefs: EDIT_REFS,
  summary: "change an image's labels, annotations, env, entrypoint, cmd, user or workdir",
  usage: "REF [FLAGS]",
  help: `Pushes a copy of the image REF names with its config changed (crane mutate) and prints
the new digest. Layers are not touched.
  --label KEY=VALUE      set a label; repeatable
  --annotation KEY=VALUE set a manifest annotation; repeatable
  --env KEY=VALUE        set an environment variable; repeatable
  --entrypoint CMD       '["sh","-c"]' or sh,-c
  --cmd CMD              the same form
  --user USER            the user to run as
  --workdir DIR          the working directory
${EDIT_HELP}`,
  options: {
    ...EDIT_OPTIONS,
    label: { type: "string", multiple: true },
    annotation: { type: "string", multiple: true },
    env: { type: "string", multiple: true },
    entrypoint: { type: "string" },
    cmd: { type: "string" },
    user: { type: "string" },
    workdir: { type: "string" },
  },
  args: [1, 1],
  async run({ positionals, values, remote, io, json }) {
    const changes: ConfigChanges = {
      labels: parsePairs(list(values, "label"), "label"),
      annotations: parsePairs(list(values, "annotation"), "annotation"),
      env: list(values, "env"),
      entrypoint: parseArgv(stringValue(values, "entrypoint")),
      cmd: parseArgv(stringValue(values, "cmd")),
      user: stringValue(values, "user"),
      workdir: stringValue(values, "workdir"),
    };
    parsePairs(changes.env, "env");
    const { mutateImage } = await import("../../verbs/mutate.js");
    const digest = await mutateImage(positionals[0] ?? "", changes, { ...remote, ...editOptions(values) });
    await printDigest(io, json, digest);
  },
};

export const appendCommand: Command = {
  name: "append",
  registryRefs: EDIT_REFS,
  summary: "add layers (tar files or directories) on top of an image",
  usage: "REF PATH...",
  help: `Pushes a copy of the image REF names with one new layer per PATH on top (crane append)
and prints the new digest. A PATH is a tar file (gzip or not) or a directory (packed
with owner 0:0 and mtime 0, so the same tree gives the same layer).
${EDIT_HELP}`,
  options: EDIT_OPTIONS,
  args: [2, 64],
  async run({ positionals, values, remote, io, json }) {
    const [ref = "", ...paths] = positionals;
    const { appendLayers } = await import("../../verbs/mutate.js");
    await printDigest(io, json, await appendLayers(ref, paths, { ...remote, ...editOptions(values) }));
  },
};

export const flattenCommand: Command = {
  name: "flatten",
  registryRefs: EDIT_REFS,
  summary: "squash an image's layers into one with the same filesystem",
  usage: "REF",
  help: `Pushes a copy of the image REF names whose layers are merged into one (whiteouts
applied, as airlock export does) and prints the new digest (crane flatten).
${EDIT_HELP}`,
  options: EDIT_OPTIONS,
  args: [1, 1],
  async run({ positionals, values, remote, io, json }) {
    const { flattenImage } = await import("../../verbs/mutate.js");
    await printDigest(
      io,
      json,
      await flattenImage(positionals[0] ?? "", { ...remote, ...editOptions(values) }),
    );
  },
};

export const rebaseCommand: Command = {
  name: "rebase",
  registryRefs: EDIT_REFS,
  summary: "put a new base under an image built on an old one",
  usage: "REF --old-base OLD --new-base NEW",
  help: `Pushes a copy of the image REF names with the layers of OLD (which must be where its
layers start) replaced by those of NEW, and prints the new digest (crane rebase).
  --old-base REF         the base the image was built on
  --new-base REF         the base to use instead
${EDIT_HELP}`,
  options: { ...EDIT_OPTIONS, "old-base": { type: "string" }, "new-base": { type: "string" } },
  args: [1, 1],
  async run({ positionals, values, remote, io, json }) {
    const oldBase = stringValue(values, "old-base");
    const newBase = stringValue(values, "new-base");
    if (oldBase === undefined || newBase === undefined) {
      throw new AirlockError("ERR_USAGE", "rebase needs --old-base and --new-base");
    }
    const options = { ...remote, ...editOptions(values), oldBase, newBase };
    const { rebaseImage } = await import("../../verbs/rebase.js");
    await printDigest(io, json, await rebaseImage(positionals[0] ?? "", options));
  },
};
