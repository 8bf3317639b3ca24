import { describeAttached } from "./diff-attached.js";
import type { LockDiff } from "./diff.js";

/** 1536 → "1.5 KiB". */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = Math.abs(n);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = unit === 0 ? String(value) : value.toFixed(1);
  return `${n < 0 ? "-" : ""}${text} ${units[unit]}`;
}

const short = (digest: string | undefined): string => (digest === undefined ? "-" : digest.slice(0, 19));
const signed = (n: number): string => (n > 0 ? "+" : "") + formatBytes(n);

export function isEmptyDiff(d: LockDiff): boolean {
  return d.added.length === 0 && d.removed.length === 0 && d.moved.length === 0 && d.attached.length === 0;
}

/** Plain text for a terminal. */
export function formatDiffText(d: LockDiff): string {
  if (isEmptyDiff(d)) return "no changes\n";
  const lines: string[] = [];
  for (const a of d.added) lines.push(`+ ${a.reference} ${short(a.digest)} [${a.platforms.join(", ")}]`);
  for (const r of d.removed) lines.push(`- ${r.reference} ${short(r.digest)} [${r.platforms.join(", ")}]`);
  for (const m of d.moved) {
    lines.push(`~ ${m.reference} ${short(m.from)} -> ${short(m.to)}`);
    for (const p of m.platforms) lines.push(`    ${p.platform}: ${short(p.from)} -> ${short(p.to)}`);
  }
  let last: string | undefined;
  for (const c of d.attached) {
    if (c.reference !== last) lines.push(`@ ${c.reference} attached:`);
    last = c.reference;
    const sign = c.change === "added" ? "+" : c.change === "removed" ? "-" : "~";
    const digests = c.change === "changed" ? `${short(c.from)} -> ${short(c.to)}` : short(c.to ?? c.from);
    lines.push(`    ${sign} ${describeAttached(c)} on ${short(c.on)}: ${digests}`);
  }
  lines.push(
    `new content to carry: ${d.newContent.count} blobs and manifests, ${formatBytes(d.newContent.bytes)}`,
    `total size: ${formatBytes(d.totals.from)} -> ${formatBytes(d.totals.to)} (${signed(d.totals.change)})`,
  );
  return lines.join("\n") + "\n";
}

/** Markdown for a pull-request comment. */
export function formatDiffMarkdown(d: LockDiff): string {
  if (isEmptyDiff(d)) return "**airlock lock**: no image changes.\n";
  const rows: string[] = [];
  for (const a of d.added)
    rows.push(`| added | \`${a.reference}\` | | \`${short(a.digest)}\` | ${a.platforms.join(", ")} |`);
  for (const r of d.removed)
    rows.push(`| removed | \`${r.reference}\` | \`${short(r.digest)}\` | | ${r.platforms.join(", ")} |`);
  for (const m of d.moved) {
    rows.push(`| moved | \`${m.reference}\` | \`${short(m.from)}\` | \`${short(m.to)}\` | |`);
    for (const p of m.platforms)
      rows.push(`| | ${p.platform} | \`${short(p.from)}\` | \`${short(p.to)}\` | |`);
  }
  for (const c of d.attached) {
    const cell = (digest: string | undefined): string => (digest === undefined ? "" : `\`${short(digest)}\``);
    rows.push(
      `| ${describeAttached(c)} ${c.change} | \`${c.reference}\` | ${cell(c.from)} | ${cell(c.to)} | ${short(c.on)} |`,
    );
  }
  return [
    "### airlock lock changes",
    "",
    "| change | image | old digest | new digest | platforms |",
    "|---|---|---|---|---|",
    ...rows,
    "",
    `**New content to carry:** ${d.newContent.count} blobs and manifests, ${formatBytes(d.newContent.bytes)}  `,
    `**Total size:** ${formatBytes(d.totals.from)} → ${formatBytes(d.totals.to)} (${signed(d.totals.change)})`,
    "",
  ].join("\n");
}
