import { AirlockError } from "../../src/errors.js";
import type { ImageEntry } from "../../src/imagelist/types.js";
import type { ImageConfig } from "../../src/oci/types.js";
import type { Resolver, ResolvedBytes } from "../../src/plan/resolver.js";
import { parseReference } from "../../src/ref/reference.js";
import { buildFixtureGraph } from "./fixture-images.js";
import type { BuiltNode } from "./image-builder.js";

/** The planner's Resolver over the fixture images in memory, counting calls. */
export class MemoryResolver implements Resolver {
  readonly calls: string[] = [];
  readonly #tags = new Map<string, Map<string, BuiltNode>>();
  readonly #blobs = new Map<string, { bytes: Buffer; mediaType: string }>();

  add(repository: string, tag: string, node: BuiltNode): void {
    const tags = this.#tags.get(repository) ?? new Map<string, BuiltNode>();
    tags.set(tag, node);
    this.#tags.set(repository, tags);
    this.#blobs.set(node.digest, { bytes: node.bytes, mediaType: node.mediaType });
    const children = node.kind === "index" ? node.children : [node];
    for (const child of children) {
      this.#blobs.set(child.digest, { bytes: child.bytes, mediaType: child.mediaType });
      this.#blobs.set(child.config.digest, { bytes: child.config.bytes, mediaType: "config" });
    }
  }

  manifest(registry: string, repository: string, reference: string): Promise<ResolvedBytes> {
    this.calls.push(`manifest ${repository} ${reference}`);
    const node = this.#tags.get(repository)?.get(reference);
    const found = node ? { bytes: node.bytes, mediaType: node.mediaType } : this.#blobs.get(reference);
    if (found === undefined) {
      return Promise.reject(
        new AirlockError("ERR_NOT_FOUND", `manifest ${registry}/${repository}:${reference}: not found`),
      );
    }
    return Promise.resolve({ ...found, digest: node?.digest ?? reference, size: found.bytes.length });
  }

  tags(registry: string, repository: string): Promise<string[]> {
    this.calls.push(`tags ${repository}`);
    const tags = this.#tags.get(repository);
    if (!tags)
      return Promise.reject(new AirlockError("ERR_NOT_FOUND", `${registry}/${repository}: not found`));
    return Promise.resolve([...tags.keys()]);
  }

  config(_registry: string, repository: string, descriptor: { digest: string }): Promise<ImageConfig> {
    this.calls.push(`config ${repository} ${descriptor.digest}`);
    const blob = this.#blobs.get(descriptor.digest);
    if (!blob)
      return Promise.reject(new AirlockError("ERR_NOT_FOUND", `config ${descriptor.digest}: not found`));
    return Promise.resolve(JSON.parse(blob.bytes.toString("utf8")) as ImageConfig);
  }
}

/** A resolver holding every harness fixture under its repository and tags. */
export async function fixtureResolver(): Promise<MemoryResolver> {
  const graph = await buildFixtureGraph();
  const resolver = new MemoryResolver();
  for (const f of graph.harness) for (const tag of f.tags) resolver.add(f.name, tag, f.node);
  return resolver;
}

/** An image-list entry for tests, without going through the list parser. */
export function testEntry(
  source: string,
  options: Partial<Pick<ImageEntry, "selector" | "platforms" | "optionalPlatforms">> = {},
): ImageEntry {
  const ref = parseReference(source);
  const selector: ImageEntry["selector"] =
    options.selector ??
    (ref.digest !== undefined && ref.tag === undefined
      ? { kind: "digest", digest: ref.digest }
      : {
          kind: "tag",
          tag: ref.tag ?? "latest",
          ...(ref.digest !== undefined ? { digest: ref.digest } : {}),
        });
  return {
    source,
    position: { file: "test.yaml", line: 1, column: 3 },
    registry: ref.registry,
    repository: ref.repository,
    selector,
    platforms: options.platforms ?? ["linux/amd64"],
    optionalPlatforms: options.optionalPlatforms ?? false,
  };
}
