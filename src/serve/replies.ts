/** The answers that are small enough to compute whole: manifests and lists. */

import type { IncomingHttpHeaders } from "node:http";
import { MediaType } from "../oci/media-types.js";
import { acceptsManifest } from "./accept.js";
import { paginate } from "./paginate.js";
import type { Repository, ServedContent } from "./repositories.js";
import { errorReply, jsonReply, type Reply } from "./responses.js";

/** `GET|HEAD /v2/<name>/manifests/<tag|digest>`: the stored bytes, never rewritten. */
export function manifestReply(
  repo: Repository,
  reference: string,
  byDigest: boolean,
  headers: IncomingHttpHeaders,
): Reply {
  const digest = byDigest ? reference : repo.tags.get(reference);
  const node = digest === undefined ? undefined : repo.manifests.get(digest);
  if (node === undefined) {
    const what = byDigest ? `manifest ${reference}` : `tag ${reference}`;
    return errorReply(404, "MANIFEST_UNKNOWN", `${what} is not in repository ${repo.name}`);
  }
  if (!acceptsManifest(headers.accept, node.mediaType)) {
    return errorReply(
      404,
      "MANIFEST_UNKNOWN",
      `${node.mediaType} found, but the Accept header does not list it (send Accept: ${node.mediaType})`,
    );
  }
  const replyHeaders = {
    "content-type": node.mediaType,
    "docker-content-digest": node.digest,
    etag: `"${node.digest}"`,
  };
  return { status: 200, headers: replyHeaders, body: node.bytes };
}

/** `GET /v2/<name>/tags/list?n=&last=`: tags in lexical order. */
export function tagsReply(repo: Repository, query: URLSearchParams): Reply {
  const tags = [...repo.tags.keys()].sort();
  const page = paginate(tags, query, `/v2/${repo.name}/tags/list`);
  if (page.kind === "invalid") return errorReply(400, "PAGINATION_NUMBER_INVALID", page.message);
  return jsonReply({ name: repo.name, tags: page.items }, page.link === undefined ? {} : { link: page.link });
}

/** `GET /v2/_catalog?n=&last=`: repository names in lexical order. */
export function catalogReply(content: ServedContent, query: URLSearchParams): Reply {
  const names = [...content.repositories.keys()].sort();
  const page = paginate(names, query, "/v2/_catalog");
  if (page.kind === "invalid") return errorReply(400, "PAGINATION_NUMBER_INVALID", page.message);
  return jsonReply({ repositories: page.items }, page.link === undefined ? {} : { link: page.link });
}

/**
 * `GET /v2/<name>/referrers/<digest>[?artifactType=T]`: an image index of
 * the repository's manifests whose subject is `digest` (empty when none,
 * never 404), filtered by artifactType when asked.
 */
export function referrersReply(repo: Repository, digest: string, query: URLSearchParams): Reply {
  const all = repo.referrers.get(digest) ?? [];
  const artifactType = query.get("artifactType");
  const unfiltered = artifactType === null || artifactType === "";
  const manifests = unfiltered ? all : all.filter((d) => d.artifactType === artifactType);
  const index = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests };
  const headers = unfiltered ? {} : { "oci-filters-applied": "artifactType" };
  return jsonReply(index, { ...headers, "content-type": MediaType.OciIndex });
}
