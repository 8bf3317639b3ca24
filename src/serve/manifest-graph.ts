import { messageOf } from "../errors.js";
import { parseManifest } from "../oci/manifest.js";
import type { Descriptor } from "../oci/types.js";
import type { ContentPool } from "./content-pool.js";

/** A manifest the server holds in memory (bytes exactly as stored) and what it points at. */
export interface ManifestNode {
  digest: string;
  mediaType: string;
  bytes: Buffer;
  /** Child manifests an index lists (present in the pool or not: an index may be sparse). */
  children: Descriptor[];
  /** Config and layers of an image manifest. */
  blobs: Descriptor[];
  /** The manifest this one refers to, for the referrers API. */
  subject?: Descriptor;
  /** This manifest as an entry of a referrers response. */
  referrer: Descriptor;
}

/**
 * Manifests read from the pool once each, parsed, and kept: the graph every
 * repository's content is computed from. A manifest that is missing (a
 * sparse index's other platforms) is simply not there; one that is corrupt
 * or unreadable is reported through `warn` and left out.
 */
export class ManifestGraph {
  readonly #pool: ContentPool;
  readonly #warn: (message: string) => void;
  readonly #nodes = new Map<string, Promise<ManifestNode | undefined>>();

  constructor(pool: ContentPool, warn: (message: string) => void) {
    this.#pool = pool;
    this.#warn = warn;
  }

  /** The manifest a descriptor points at, or undefined when the pool cannot give it. */
  node(descriptor: Descriptor): Promise<ManifestNode | undefined> {
    let node = this.#nodes.get(descriptor.digest);
    if (node === undefined) {
      node = this.#load(descriptor);
      this.#nodes.set(descriptor.digest, node);
    }
    return node;
  }

  /** Every manifest loaded so far. */
  async loaded(): Promise<ManifestNode[]> {
    const nodes = await Promise.all(this.#nodes.values());
    return nodes.filter((n): n is ManifestNode => n !== undefined);
  }

  async #load(descriptor: Descriptor): Promise<ManifestNode | undefined> {
    const bytes = await this.#pool.readManifest(descriptor);
    if (bytes === "absent") return undefined;
    if (typeof bytes === "string") {
      this.#warn(`manifest ${descriptor.digest} is ${bytes} in the sources; not serving it`);
      return undefined;
    }
    try {
      return toNode(descriptor, bytes);
    } catch (err) {
      this.#warn(`manifest ${descriptor.digest} cannot be served: ${messageOf(err)}`);
      return undefined;
    }
  }
}

/** The node of a manifest's bytes. @throws AirlockError when they are no manifest or index. */
export function toNode(descriptor: Descriptor, bytes: Buffer): ManifestNode {
  const parsed = parseManifest(bytes, descriptor.mediaType, `manifest ${descriptor.digest}`);
  const { digest, size } = descriptor;
  const { mediaType } = parsed;
  const base = { digest, mediaType, bytes };
  if (parsed.kind === "index") {
    const { index } = parsed;
    const referrer = referrerOf({ mediaType, digest, size }, index.artifactType, index.annotations);
    return { ...base, children: index.manifests, blobs: [], subject: index.subject, referrer };
  }
  const { manifest } = parsed;
  const artifactType = manifest.artifactType ?? manifest.config.mediaType;
  const referrer = referrerOf({ mediaType, digest, size }, artifactType, manifest.annotations);
  const blobs = [manifest.config, ...manifest.layers];
  return { ...base, children: [], blobs, subject: manifest.subject, referrer };
}

function referrerOf(
  descriptor: Descriptor,
  artifactType: string | undefined,
  annotations: Record<string, string> | undefined,
): Descriptor {
  return {
    ...descriptor,
    ...(artifactType === undefined ? {} : { artifactType }),
    ...(annotations === undefined ? {} : { annotations }),
  };
}
