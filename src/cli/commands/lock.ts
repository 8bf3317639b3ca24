import { AirlockError } from "../../errors.js";
import { DEFAULT_LIST_FILE } from "../../imagelist/defaults.js";
import { formatBytes, formatDiffMarkdown, formatDiffText } from "../../plan/diff-format.js";
import { flag, stringValue, type Command, type CommandContext } from "../command.js";
import { describeContent } from "../counts.js";
import { ExitCode } from "../exit-codes.js";
import { writeJson, writeOut } from "../output.js";
import { parseConcurrency } from "../parse.js";
import { createProgress, showing } from "../progress.js";
import { tellFiltered } from "../filtered-notes.js";

const FILE_OPTION = { file: { type: "string", short: "f" } } as const;

export const lockCommand: Command = {
  name: "lock",
  summary: "resolve the image list to digests per platform and write the lockfile",
  usage: "[-f FILE] [-o LOCK] [--update [IMAGE…]] [--check]",
  help: `Resolves every entry of the image list (default ${DEFAULT_LIST_FILE}) to the digest of its
top manifest and of each selected platform's manifest, config and layers, and writes the
lockfile beside the list (airlock.yaml → airlock.lock) atomically. Entries unchanged since
the last lock keep their pins; nothing is written if any entry fails.
  -f, --file FILE       the image list (airlock.yaml, skopeo sync YAML, mindthegap images.yaml, or a text list)
  -o, --output LOCK     where to write the lock
  --update [IMAGE…]     re-resolve these entries (as written, or by repository), or every entry
  --check               no network: exit 1, naming the entries, when the lock does not match the list
  --concurrency N       resolutions in flight at once (default 8)
  --cache DIR           keep the manifests and configs fetched for create-bundle (default
                        $XDG_CACHE_HOME/airlock, the cache create-bundle reads)
  --json                the lock file, whether it was written and its totals (with --check: what differs)`,
  options: {
    ...FILE_OPTION,
    output: { type: "string", short: "o" },
    update: { type: "boolean" },
    check: { type: "boolean" },
    concurrency: { type: "string" },
    cache: { type: "string" },
  },
  args: [0, Infinity],
  async run({ positionals, values, remote, io, say, log, json }) {
    const file = stringValue(values, "file");
    const output = stringValue(values, "output");
    if (positionals.length > 0 && !flag(values, "update")) {
      throw new AirlockError(
        "ERR_USAGE",
        "images on the command line go with --update: airlock lock --update IMAGE…",
      );
    }
    if (flag(values, "check")) return await runCheck(file, output, { io, say, log, json });
    const { lockImageList } = await import("../../verbs/lock.js");
    const progress = await createProgress(io.stderr, {
      enabled: !flag(values, "quiet"),
      say,
      unit: "images",
    });
    const result = await showing(progress, () =>
      lockImageList({
        ...remote,
        file,
        output,
        update: flag(values, "update") ? (positionals.length > 0 ? positionals : true) : undefined,
        concurrency: parseConcurrency(stringValue(values, "concurrency")),
        cacheDir: stringValue(values, "cache"),
        onProgress: (done, total) => progress.update("resolving", done, total),
      }),
    );
    const t = result.lock.totals;
    if (json) {
      const { lockFile, written, filtered } = result;
      await writeJson(io.stdout, { lockFile, written, totals: t, filtered });
    }
    tellFiltered(result.filtered, say, log);
    const platforms = result.lock.entries.flatMap((e) => e.images.flatMap((i) => i.platforms)).length;
    const what = `${describeContent({ ...t, platforms })}, ${formatBytes(t.bytes)} (${formatBytes(t.bytesWithoutDedup)} without sharing)`;
    say(result.written ? `wrote ${result.lockFile}: ${what}` : `${result.lockFile} is up to date: ${what}`);
  },
};

async function runCheck(
  file: string | undefined,
  output: string | undefined,
  { io, say, log, json }: Pick<CommandContext, "io" | "say" | "log" | "json">,
): Promise<number> {
  const { checkImageListLock } = await import("../../verbs/lock-check.js");
  const check = await checkImageListLock({ file, output });
  if (json) await writeJson(io.stdout, check);
  if (check.upToDate) {
    say(`${check.lockFile} matches the image list`);
    return ExitCode.Ok;
  }
  const problem = (line: string): void => log.write("error", line);
  for (const u of check.unlocked)
    problem(`${u.position} ${u.source}: not in ${check.lockFile} (new or changed entry)`);
  for (const s of check.stale) problem(`${check.lockFile}: ${s.source}: no longer in the image list`);
  problem(`${check.lockFile} is out of date: run airlock lock`);
  return ExitCode.Failure;
}

export const diffCommand: Command = {
  name: "diff",
  summary: "what changed between two lockfiles (or a lockfile and its committed version)",
  usage: "OLD [NEW] [--bytes] [--format text|markdown|json]",
  help: `Shows images added and removed, tags moved (old → new digest, per platform), signatures,
attestations, SBOMs and referrers added, removed or changed, the new content to carry (blobs in
NEW not in OLD) and the change in total size. With one file, compares it with its version
committed in git (HEAD).
  --bytes                       instead: what a delta bundle of NEW made against OLD
                                (create-bundle --since OLD) would carry, per image — every manifest,
                                and the configs and layers OLD does not pin — against a full bundle
  --format text|markdown|json   markdown fits a pull-request comment (default text)
  --json                        the same as --format json`,
  options: { format: { type: "string" }, bytes: { type: "boolean" } },
  args: [1, 2],
  async run({ positionals, values, io, json }) {
    const format = stringValue(values, "format") ?? (json ? "json" : "text");
    if (!["text", "markdown", "json"].includes(format)) {
      throw new AirlockError("ERR_USAGE", `--format must be text, markdown or json, not "${format}"`);
    }
    if (flag(values, "bytes")) return void (await writeOut(io.stdout, await deltaText(positionals, format)));
    const { diffLockFiles } = await import("../../verbs/diff.js");
    const diff = await diffLockFiles(positionals[0] ?? "", positionals[1]);
    const text =
      format === "json"
        ? JSON.stringify(diff, null, 2) + "\n"
        : format === "markdown"
          ? formatDiffMarkdown(diff)
          : formatDiffText(diff);
    await writeOut(io.stdout, text);
  },
};

async function deltaText(positionals: string[], format: string): Promise<string> {
  const { diffLockBytes } = await import("../../verbs/diff.js");
  const { formatDeltaSizeMarkdown, formatDeltaSizeText } = await import("../../plan/diff-bytes-format.js");
  const size = await diffLockBytes(positionals[0] ?? "", positionals[1]);
  if (format === "json") return JSON.stringify(size, null, 2) + "\n";
  return format === "markdown" ? formatDeltaSizeMarkdown(size) : formatDeltaSizeText(size);
}
