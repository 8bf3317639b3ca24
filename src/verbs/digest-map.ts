/**
 * The digest map push-bundle leaves behind: for every image whose top
 * manifest has another digest at the site than upstream (a sparse index the
 * registry refused, replaced by an index of the carried platforms), the
 * upstream digest and the site's. Written as a sed script, one `s` command
 * per image under a comment naming it, so that `sed -i -f FILE` moves every
 * pin of an upstream digest (manifests, Helm values, admission policies) to
 * the digest that resolves at the site. A later push merges into the file.
 */
import { readFile } from "node:fs/promises";
import { AirlockError, fileErrorReason } from "../errors.js";
import { writeFileAtomic } from "../stream/atomic-file.js";

/** One image whose top digest at the site is not its upstream digest. */
export interface DigestChange {
  reference: string;
  /** The site repository and tag (when pushed by tag). */
  repository: string;
  tag?: string;
  upstream: string;
  site: string;
}

/** What a push outcome must say for the map. */
export interface DigestMapOutcome {
  reference: string;
  repository: string;
  tag?: string;
  digest: string;
  upstreamDigest: string;
  status: string;
}

const HEADER = [
  "# airlock digest map: upstream top-manifest digest → the digest the site registry has for it.",
  "# Apply to what pins upstream digests: sed -i -f THIS_FILE deploy/*.yaml",
];
const COMMAND = /^s\/(sha256:[0-9a-f]{64})\/(sha256:[0-9a-f]{64})\/g$/;

/** The images of a push whose digest at the site differs (skipped ones are not this push's images). */
export function digestChanges(outcomes: readonly DigestMapOutcome[]): DigestChange[] {
  return outcomes
    .filter((o) => o.status !== "skipped" && o.status !== "would-push" && o.digest !== o.upstreamDigest)
    .map((o) => ({
      reference: o.reference,
      repository: o.repository,
      ...(o.tag !== undefined ? { tag: o.tag } : {}),
      upstream: o.upstreamDigest,
      site: o.digest,
    }));
}

/** The digest map file beside a push journal: `<journal without .jsonl>.digests`. */
export function digestMapBeside(journalFile: string): string {
  return `${journalFile.replace(/\.jsonl$/, "")}.digests`;
}

/** The sed script for `changes`, after what `previous` (an earlier map's text) held for other upstream digests. */
export function formatDigestMap(changes: readonly DigestChange[], previous = ""): string {
  const now = new Set(changes.map((c) => c.upstream));
  const kept: string[] = [];
  const lines = previous.split("\n");
  lines.forEach((line, i) => {
    const match = COMMAND.exec(line);
    if (match === null || now.has(match[1] ?? "")) return;
    const comment = lines[i - 1];
    if (comment?.startsWith("# ") === true && !HEADER.includes(comment)) kept.push(comment);
    kept.push(line);
  });
  const fresh = changes.flatMap((c) => [
    `# ${c.reference} → ${c.repository}${c.tag !== undefined ? `:${c.tag}` : ""}`,
    `s/${c.upstream}/${c.site}/g`,
  ]);
  return [...HEADER, ...kept, ...fresh].join("\n") + "\n";
}

/** Merges `changes` into the map at `file` (created when missing), atomically. */
export async function writeDigestMap(file: string, changes: readonly DigestChange[]): Promise<void> {
  let previous = "";
  try {
    previous = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new AirlockError("ERR_FILE", `cannot read digest map ${file}: ${fileErrorReason(err)}`, {
        cause: err,
      });
    }
  }
  await writeFileAtomic(file, formatDigestMap(changes, previous));
}
