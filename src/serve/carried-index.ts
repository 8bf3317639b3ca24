/**
 * A tag whose image is a sparse index (a bundle's filtered multi-platform
 * image) is answered with an index of the carried platforms: the very bytes
 * push-bundle writes where a registry refuses the sparse index, so a client
 * that reads every child of what a tag names (`skopeo copy --all`, `crane
 * pull`) gets a complete image, and a tag names the same digest whether the
 * site pulls from `serve` or from a registry:2 push-bundle filled. The
 * upstream index still answers by its digest, byte for byte, so pins of it
 * hold.
 */
import { isImageManifestType, isIndexType } from "../oci/media-types.js";
import { parseManifest } from "../oci/manifest.js";
import { subIndex } from "../store/copy-plan.js";
import { toNode, type ManifestGraph, type ManifestNode } from "./manifest-graph.js";

/** For a sparse index, the node of the index of its carried children; undefined for anything else. */
export async function carriedIndexNode(
  graph: ManifestGraph,
  node: ManifestNode,
): Promise<ManifestNode | undefined> {
  if (!isIndexType(node.mediaType) || node.children.length === 0) return undefined;
  const present = await Promise.all(node.children.map(async (c) => (await graph.node(c)) !== undefined));
  if (present.every(Boolean)) return undefined;
  const parsed = parseManifest(node.bytes, node.mediaType, `manifest ${node.digest}`);
  if (parsed.kind !== "index") return undefined;
  const carried = parsed.index.manifests.filter(
    (d, i) => present[i] === true && (isImageManifestType(d.mediaType) || isIndexType(d.mediaType)),
  );
  if (carried.length === 0) return undefined;
  const { descriptor, bytes } = subIndex(parsed.index, carried, parsed.mediaType);
  return toNode(descriptor, bytes);
}
