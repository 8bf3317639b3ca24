/**
 * A watcher that polls a registry directly (not through the proxy a push
 * goes through) every few milliseconds and, the moment it sees a tag or a
 * tag's new digest, checks that everything under it is there: each child
 * manifest answers GET 200 and each blob HEAD 200. Blobs are never deleted during a
 * push, so an image found complete stays complete and is checked once.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { sha256Digest } from "../../src/oci/digest.js";
import { MANIFEST_ACCEPT } from "../../src/oci/media-types.js";

/** What the watcher saw. */
export interface WatchReport {
  /** Poll rounds over all repositories. */
  polls: number;
  /** "repository:tag" → the digest last seen. */
  seen: Map<string, string>;
  /** Each tag seen whose image was incomplete at that moment, with what was missing. */
  violations: string[];
  /** Times a listed tag did not resolve yet (it is being written). */
  unresolved: number;
}

/** A running watcher. */
export interface TagWatcher {
  /** Stops polling after the current round; resolves with the report. */
  stop(): Promise<WatchReport>;
}

interface ManifestJson {
  manifests?: { digest: string }[];
  config?: { digest: string };
  layers?: { digest: string }[];
}

/** Starts polling `repositories` of the registry at `baseUrl` ("http://host:port"). */
export function startTagWatcher(baseUrl: string, repositories: string[], intervalMs = 5): TagWatcher {
  const report: WatchReport = { polls: 0, seen: new Map(), violations: [], unresolved: 0 };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await Promise.all(repositories.map((repo) => pollRepository(baseUrl, repo, report)));
      report.polls++;
      await sleep(intervalMs);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return report;
    },
  };
}

async function pollRepository(baseUrl: string, repo: string, report: WatchReport): Promise<void> {
  const res = await fetch(`${baseUrl}/v2/${repo}/tags/list`);
  if (res.status !== 200) {
    await res.arrayBuffer();
    return;
  }
  const { tags } = (await res.json()) as { tags?: string[] | null };
  for (const tag of tags ?? []) {
    const got = await getManifest(baseUrl, repo, tag);
    // Distribution writes a tag's index link before its current link: for a moment the tag is
    // listed but does not resolve. It points at nothing yet; the next round looks again.
    if (got === undefined) {
      report.unresolved++;
      continue;
    }
    if (report.seen.get(`${repo}:${tag}`) === got.digest) continue;
    report.seen.set(`${repo}:${tag}`, got.digest);
    const missing = await missingUnder(baseUrl, repo, got.json);
    if (missing.length > 0)
      report.violations.push(`${repo}:${tag} (${got.digest}) lacks ${missing.join(", ")}`);
  }
}

async function getManifest(
  baseUrl: string,
  repo: string,
  ref: string,
): Promise<{ digest: string; json: ManifestJson } | undefined> {
  const res = await fetch(`${baseUrl}/v2/${repo}/manifests/${ref}`, {
    headers: { accept: MANIFEST_ACCEPT.join(", ") },
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) return undefined;
  return { digest: sha256Digest(bytes), json: JSON.parse(bytes.toString("utf8")) as ManifestJson };
}

/** Child manifests and blobs under a manifest that the repository lacks. */
async function missingUnder(baseUrl: string, repo: string, json: ManifestJson): Promise<string[]> {
  const missing: string[] = [];
  for (const child of json.manifests ?? []) {
    const got = await getManifest(baseUrl, repo, child.digest);
    if (got === undefined) missing.push(`manifest ${child.digest}`);
    else missing.push(...(await missingUnder(baseUrl, repo, got.json)));
  }
  const blobs = [json.config, ...(json.layers ?? [])].flatMap((b) => (b === undefined ? [] : [b.digest]));
  for (const digest of blobs) {
    const res = await fetch(`${baseUrl}/v2/${repo}/blobs/${digest}`, { method: "HEAD" });
    if (res.status !== 200) missing.push(`blob ${digest}`);
  }
  return missing;
}
