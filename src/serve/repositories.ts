import { targetRepository, targetTag, type TargetNameOptions } from "../ref/target-name.js";
import { mapRepository, type MappingRule } from "../ref/target-name.js";
import { messageOf } from "../errors.js";
import type { Descriptor } from "../oci/types.js";
import type { AttachedRef } from "../store/layout-attached.js";
import type { ContentPool } from "./content-pool.js";
import { ManifestGraph, type ManifestNode } from "./manifest-graph.js";
import { carriedIndexNode } from "./carried-index.js";

/** What one repository serves: only what its images reach. */
export interface Repository {
  name: string;
  /** Tag → digest of its top manifest. */
  tags: Map<string, string>;
  /** Every manifest the repository's images reach (children of indexes and referrers included). */
  manifests: Map<string, ManifestNode>;
  /** Digest → size of every blob the repository may serve: configs, layers and its manifests. */
  blobs: Map<string, number>;
  /** Subject digest → the referrers the repository holds for it. */
  referrers: Map<string, Descriptor[]>;
}

/** How references become repositories: push-bundle's mapping rules first, then prefix/keepHost. */
export interface Naming extends TargetNameOptions {
  mapping?: readonly MappingRule[];
}

/** Everything the server serves, by repository name. */
export interface ServedContent {
  repositories: Map<string, Repository>;
  /** References served (tags and digest-only images). */
  images: number;
  /** Tags of sparse indexes, answered with an index of the carried platforms (see carried-index.ts). */
  carried: CarriedTag[];
  pool: ContentPool;
}

/** A tag served as an index of the carried platforms; its upstream index answers by digest. */
export interface CarriedTag {
  reference: string;
  repository: string;
  tag: string;
  upstream: string;
  served: string;
}

/**
 * Maps every reference the sources name to its repository inside the gap
 * (as push-bundle would: mapping rules, else prefix and keepHost) and computes each repository's content. When two
 * sources tag the same repository:tag differently the first one wins, with
 * a warning.
 */
export async function buildContent(
  pool: ContentPool,
  naming: Naming,
  warn: (message: string) => void,
): Promise<ServedContent> {
  const graph = new ManifestGraph(pool, warn);
  const repositories = new Map<string, Repository>();
  let images = 0;
  const carried: CarriedTag[] = [];
  for (const source of pool.sources) {
    for (const { reference, descriptor } of source.refs) {
      const target = targetOf(reference, naming, warn);
      if (target === undefined) continue;
      const node = await graph.node(descriptor);
      if (node === undefined) {
        warn(`${source.name}: ${reference}: manifest ${descriptor.digest} is missing; not serving it`);
        continue;
      }
      const repo = repositoryFor(repositories, target.name);
      await addReachable(graph, repo, node);
      if (target.tag !== undefined) {
        const tagged = await tagNode(graph, repo, node);
        tagImage(repo, target.tag, tagged.digest, reference, warn);
        if (tagged !== node) {
          const served = tagged.digest;
          carried.push({ reference, repository: repo.name, tag: target.tag, upstream: node.digest, served });
        }
      }
      images++;
    }
    for (const attached of source.attached) await addAttached(graph, repositories, attached, naming, warn);
  }
  const subjects = subjectIndex(await graph.loaded());
  for (const repo of repositories.values()) await addReferrers(graph, repo, subjects);
  return { repositories, images, carried, pool };
}

function targetOf(
  reference: string,
  naming: Naming,
  warn: (message: string) => void,
): { name: string; tag?: string } | undefined {
  try {
    const name = mapRepository(reference, naming.mapping ?? []) ?? targetRepository(reference, naming);
    return { name, tag: targetTag(reference) };
  } catch (err) {
    warn(`not serving ${reference}: ${messageOf(err)}`);
    return undefined;
  }
}

/** What a tag names: the index of the carried platforms for a sparse index (held by the repository too), else the node. */
async function tagNode(graph: ManifestGraph, repo: Repository, node: ManifestNode): Promise<ManifestNode> {
  const carried = await carriedIndexNode(graph, node);
  if (carried === undefined) return node;
  repo.manifests.set(carried.digest, carried);
  repo.blobs.set(carried.digest, carried.bytes.length);
  return carried;
}

function repositoryFor(repositories: Map<string, Repository>, name: string): Repository {
  let repo = repositories.get(name);
  if (repo === undefined) {
    repo = { name, tags: new Map(), manifests: new Map(), blobs: new Map(), referrers: new Map() };
    repositories.set(name, repo);
  }
  return repo;
}

function tagImage(
  repo: Repository,
  tag: string,
  digest: string,
  reference: string,
  warn: (message: string) => void,
): void {
  const existing = repo.tags.get(tag);
  if (existing === undefined) repo.tags.set(tag, digest);
  else if (existing !== digest) {
    warn(
      `${repo.name}:${tag} is already served as ${existing}; ${reference} (${digest}) is served by digest only`,
    );
  }
}

async function addReachable(graph: ManifestGraph, repo: Repository, node: ManifestNode): Promise<void> {
  if (repo.manifests.has(node.digest)) return;
  repo.manifests.set(node.digest, node);
  repo.blobs.set(node.digest, node.bytes.length);
  for (const blob of node.blobs) if (!repo.blobs.has(blob.digest)) repo.blobs.set(blob.digest, blob.size);
  for (const child of node.children) {
    const childNode = await graph.node(child);
    if (childNode !== undefined) await addReachable(graph, repo, childNode);
  }
}

/**
 * A manifest attached to a served image, in the image's repository: cosign's tags as tags, a
 * referrer by digest (then listed under its subject by addReferrers).
 */
async function addAttached(
  graph: ManifestGraph,
  repositories: Map<string, Repository>,
  attached: AttachedRef,
  naming: Naming,
  warn: (message: string) => void,
): Promise<void> {
  const target = targetOf(attached.image, naming, warn);
  if (target === undefined) return;
  const node = await graph.node(attached.descriptor);
  const what = `${attached.image}: ${attached.kind} ${attached.descriptor.digest}`;
  if (node === undefined) return warn(`${what} is missing; not serving it`);
  const repo = repositoryFor(repositories, target.name);
  if (attached.tag !== undefined) tagImage(repo, attached.tag, node.digest, what, warn);
  await addReachable(graph, repo, node);
}

function subjectOf(node: ManifestNode): string | undefined {
  const digest = (node.subject as { digest?: unknown } | undefined)?.digest;
  return typeof digest === "string" ? digest : undefined;
}

/** Subject digest → every loaded manifest that names it as its subject. */
function subjectIndex(nodes: ManifestNode[]): Map<string, ManifestNode[]> {
  const index = new Map<string, ManifestNode[]>();
  for (const node of nodes) {
    const subject = subjectOf(node);
    if (subject !== undefined) index.set(subject, [...(index.get(subject) ?? []), node]);
  }
  return index;
}

/** Adds the referrers of everything the repository holds (and theirs), then lists them by subject. */
async function addReferrers(
  graph: ManifestGraph,
  repo: Repository,
  subjects: Map<string, ManifestNode[]>,
): Promise<void> {
  let changed = true;
  while (changed) {
    changed = false;
    for (const [subject, referrers] of subjects) {
      if (!repo.manifests.has(subject)) continue;
      for (const node of referrers) {
        if (repo.manifests.has(node.digest)) continue;
        await addReachable(graph, repo, node);
        changed = true;
      }
    }
  }
  for (const node of repo.manifests.values()) {
    const subject = subjectOf(node);
    if (subject !== undefined)
      repo.referrers.set(subject, [...(repo.referrers.get(subject) ?? []), node.referrer]);
  }
}
