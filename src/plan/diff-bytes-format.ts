import type { DeltaSize } from "./diff-bytes.js";
import { formatBytes } from "./diff-format.js";

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? "" : "s"}`;

/** Plain text: one line per image, then the delta against a full bundle. */
export function formatDeltaSizeText(d: DeltaSize): string {
  const lines = d.images.map((i) => {
    const c = i.carried;
    const left =
      i.leftOut.blobs > 0
        ? `; ${plural(i.leftOut.blobs, "blob")} (${formatBytes(i.leftOut.bytes)}) left out`
        : "";
    return `${i.reference}: ${plural(c.manifests, "manifest")} (${formatBytes(c.manifestBytes)}), ${plural(c.blobs, "blob")} (${formatBytes(c.blobBytes)})${left}`;
  });
  lines.push(
    `delta: ${plural(d.delta.manifests, "manifest")}, ${plural(d.delta.blobs, "blob")}, ${formatBytes(d.delta.bytes)} of a full bundle's ${formatBytes(d.full.bytes)} (${formatBytes(d.saved)} saved)`,
  );
  return lines.join("\n") + "\n";
}

/** Markdown for a pull-request comment. */
export function formatDeltaSizeMarkdown(d: DeltaSize): string {
  const rows = d.images.map(
    (i) =>
      `| \`${i.reference}\` | ${i.carried.manifests} | ${i.carried.blobs} | ${formatBytes(i.carried.manifestBytes + i.carried.blobBytes)} | ${formatBytes(i.leftOut.bytes)} |`,
  );
  return [
    "### airlock delta",
    "",
    "| image | manifests | blobs | carried | left out |",
    "|---|---|---|---|---|",
    ...rows,
    "",
    `**Delta:** ${formatBytes(d.delta.bytes)} of a full bundle's ${formatBytes(d.full.bytes)} (${formatBytes(d.saved)} saved)`,
    "",
  ].join("\n");
}
