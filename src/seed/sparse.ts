import type { Descriptor } from "../oci/types.js";

/**
 * A new index with only the children `present` says the bundle carries, in
 * their upstream order with their descriptors unchanged. Used only when a
 * registry refuses the upstream sparse index; it has a new digest.
 */
export function filteredIndex(upstream: Buffer, present: (digest: string) => boolean): Buffer {
  const index = JSON.parse(upstream.toString("utf8")) as { manifests: Descriptor[] } & Record<
    string,
    unknown
  >;
  const filtered = { ...index, manifests: index.manifests.filter((d) => present(d.digest)) };
  return Buffer.from(JSON.stringify(filtered));
}
