import type { Readable } from "node:stream";
import { AirlockError } from "../errors.js";
import { parseDigest, sha256Digest } from "../oci/digest.js";
import { MANIFEST_ACCEPT } from "../oci/media-types.js";
import { MAX_MANIFEST_BYTES, normalizeContentType } from "../oci/manifest.js";
import { isDockerHub } from "../ref/reference.js";
import type { Descriptor } from "../oci/types.js";
import { mountBlob } from "./blob-mount.js";
import { openBlob } from "./blob-reader.js";
import { uploadBlob, type BlobUploadOptions, type OpenSource } from "./blob-upload.js";
import { readBodyCapped } from "./body.js";
import { listPaginated } from "./pagination.js";
import { COSIGN_SUFFIXES, cosignTag, referrersTag, type CosignSuffix } from "../oci/attached-tags.js";
import { descriptorsOf, filterArtifactType, referrersFromApi } from "./referrers.js";
import { CATALOG_SCOPE, pullScope, pushScope, deleteScope, type Scope } from "./scope.js";
import type { RegistryResponse, RegistryTransport, TransportStats } from "./transport.js";

/** A manifest as the registry served it: the raw bytes and the digest computed from them. */
export interface FetchedManifest {
  bytes: Buffer;
  digest: string;
  mediaType: string;
  size: number;
}

export interface CallOptions {
  signal?: AbortSignal;
}

const DIGEST_REF = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/**
 * A client for one registry, with noun-first methods in the words of the
 * distribution spec. Repositories are paths without the host ("library/ubuntu").
 */
export class RegistryClient {
  readonly #t: RegistryTransport;
  /** Set once the registry answered that it has no referrers API (404, 400 or 406). */
  #noReferrersApi = false;

  constructor(transport: RegistryTransport) {
    this.#t = transport;
  }

  /** host[:port] as in references. */
  get registry(): string {
    return this.#t.registry;
  }

  /** The base URL ("https://host:port") the registry is reached at; asks the registry only while the scheme is unknown. */
  async origin(options: CallOptions = {}): Promise<string> {
    return await this.#t.origin(options.signal);
  }

  /** What was retried so far (requests repeated, uploads recovered, downloads resumed; reconnects apart). */
  get stats(): Readonly<TransportStats> {
    return this.#t.stats;
  }

  /** Checks that the registry answers the /v2/ API and that airlock may use it. */
  async ping(options: CallOptions = {}): Promise<void> {
    const res = await this.#t.send({
      method: "GET",
      path: "/v2/",
      scopes: [],
      expect: [200],
      what: `registry ${this.registry}`,
      signal: options.signal,
    });
    await res.body.dump();
  }

  /** GETs a manifest by tag or digest; by digest, the bytes must hash to it. */
  async manifestGet(
    repository: string,
    reference: string,
    options: CallOptions = {},
  ): Promise<FetchedManifest> {
    const res = await this.#manifestRequest(repository, reference, [200], options);
    return await this.#manifestRead(res, repository, reference);
  }

  async #manifestRequest(
    repository: string,
    reference: string,
    expect: number[],
    options: CallOptions,
  ): Promise<RegistryResponse> {
    return await this.#t.send({
      method: "GET",
      path: `/v2/${repository}/manifests/${reference}`,
      headers: { accept: MANIFEST_ACCEPT.join(", ") },
      scopes: [pullScope(repository)],
      expect,
      what: `manifest ${this.#name(repository, reference)}`,
      signal: options.signal,
    });
  }

  /** The manifest's raw bytes (capped) and the digest they hash to; by digest, it must be the one asked for. */
  async #manifestRead(
    res: RegistryResponse,
    repository: string,
    reference: string,
  ): Promise<FetchedManifest> {
    const what = `manifest ${this.#name(repository, reference)}`;
    const bytes = await readBodyCapped(res, MAX_MANIFEST_BYTES, what);
    const digest = sha256Digest(bytes);
    if (DIGEST_REF.test(reference) && digest !== reference) {
      throw new AirlockError(
        "ERR_DIGEST_MISMATCH",
        `${what}: the registry served content with digest ${digest}`,
      );
    }
    const mediaType = sniffMediaType(bytes, normalizeContentType(header(res.headers["content-type"])));
    return { bytes, digest, mediaType, size: bytes.length };
  }

  /** HEADs a manifest: its descriptor, or undefined when absent. Falls back to GET when the digest header is missing. */
  async manifestHead(
    repository: string,
    reference: string,
    options: CallOptions = {},
  ): Promise<Descriptor | undefined> {
    const res = await this.#t.send({
      method: "HEAD",
      path: `/v2/${repository}/manifests/${reference}`,
      headers: { accept: MANIFEST_ACCEPT.join(", ") },
      scopes: [pullScope(repository)],
      expect: [200, 404],
      what: `manifest ${this.#name(repository, reference)}`,
      signal: options.signal,
    });
    await res.body.dump();
    if (res.status === 404) return undefined;
    const digest = header(res.headers["docker-content-digest"]);
    const size = Number(header(res.headers["content-length"]));
    const mediaType = normalizeContentType(header(res.headers["content-type"]));
    if (digest === undefined || !Number.isSafeInteger(size) || mediaType === undefined) {
      const m = await this.manifestGet(repository, reference, options);
      return { mediaType: m.mediaType, digest: m.digest, size: m.size };
    }
    return { mediaType, digest, size };
  }

  /** PUTs manifest bytes unchanged under a tag or digest; returns the digest of the bytes. */
  async manifestPut(
    repository: string,
    reference: string,
    bytes: Buffer,
    mediaType: string,
    options: CallOptions = {},
  ): Promise<string> {
    const digest = sha256Digest(bytes);
    const what = `manifest ${this.#name(repository, reference)}`;
    const res = await this.#t.send({
      method: "PUT",
      path: `/v2/${repository}/manifests/${reference}`,
      headers: { "content-type": mediaType },
      body: bytes,
      scopes: [pushScope(repository)],
      expect: [201],
      what,
      signal: options.signal,
    });
    await res.body.dump();
    const answered = header(res.headers["docker-content-digest"]);
    if (answered !== undefined && answered !== digest) {
      throw new AirlockError(
        "ERR_DIGEST_MISMATCH",
        `${what}: the registry stored digest ${answered}, expected ${digest}`,
      );
    }
    return digest;
  }

  /** DELETEs a manifest by digest (registry:2 deletes only by digest). */
  async manifestDelete(repository: string, digest: string, options: CallOptions = {}): Promise<void> {
    const res = await this.#t.send({
      method: "DELETE",
      path: `/v2/${repository}/manifests/${digest}`,
      scopes: [deleteScope(repository)],
      expect: [202, 200],
      what: `manifest ${this.#name(repository, digest)}`,
      signal: options.signal,
    });
    await res.body.dump();
  }

  /** The blob's size when present, undefined when absent. */
  async blobHead(repository: string, digest: string, options: CallOptions = {}): Promise<number | undefined> {
    return await this.#blobHead(repository, digest, pullScope(repository), options);
  }

  async #blobHead(
    repository: string,
    digest: string,
    scope: Scope,
    options: CallOptions,
  ): Promise<number | undefined> {
    const res = await this.#t.send({
      method: "HEAD",
      path: `/v2/${repository}/blobs/${digest}`,
      scopes: [scope],
      expect: [200, 404],
      what: `blob ${this.#name(repository, digest)}`,
      signal: options.signal,
    });
    await res.body.dump();
    if (res.status === 404) return undefined;
    const size = Number(header(res.headers["content-length"]));
    return Number.isSafeInteger(size) ? size : undefined;
  }

  /** A blob as a stream verified for size and sha256, resumed with Range if the connection drops. */
  async blobGet(
    repository: string,
    descriptor: Pick<Descriptor, "digest" | "size">,
    options: CallOptions = {},
  ): Promise<Readable> {
    return await openBlob(this.#t, {
      repository,
      digest: descriptor.digest,
      size: descriptor.size,
      scopes: [pullScope(repository)],
      what: `blob ${this.#name(repository, descriptor.digest)}`,
      signal: options.signal,
    });
  }

  /** A small blob (a config) in memory, verified; refused above `maxBytes`. */
  async blobGetBytes(
    repository: string,
    descriptor: Pick<Descriptor, "digest" | "size">,
    options: CallOptions & { maxBytes?: number } = {},
  ): Promise<Buffer> {
    const max = options.maxBytes ?? MAX_MANIFEST_BYTES;
    if (descriptor.size > max) {
      throw new AirlockError(
        "ERR_TOO_LARGE",
        `blob ${descriptor.digest} is ${descriptor.size} bytes, over ${max}`,
      );
    }
    const chunks: Buffer[] = [];
    for await (const chunk of await this.blobGet(repository, descriptor, options))
      chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /**
   * Uploads a blob unless present (HEAD first). `open()` returns a fresh
   * stream of its bytes each time it is called, so a failed upload can be
   * retried from the start. The bytes are verified against the descriptor as
   * they leave: a mismatch aborts the upload (cancelled with DELETE) with
   * ERR_DIGEST_MISMATCH / ERR_SIZE_MISMATCH, and the registry never gets a
   * blob under a wrong digest. Blobs up to `monolithicMax` (32 MiB) go in one
   * streamed PUT, larger ones in PATCHes of `chunkSize` (16 MiB).
   */
  async blobUpload(
    repository: string,
    descriptor: Pick<Descriptor, "digest" | "size">,
    open: OpenSource,
    options: BlobUploadOptions = {},
  ): Promise<"uploaded" | "exists"> {
    parseDigest(descriptor.digest);
    const what = `blob ${this.#name(repository, descriptor.digest)}`;
    // Push scope on the HEAD already: one token serves the whole upload.
    const present = await this.#blobHead(repository, descriptor.digest, pushScope(repository), options);
    if (present !== undefined) {
      if (present !== descriptor.size) {
        throw new AirlockError(
          "ERR_SIZE_MISMATCH",
          `${what}: the registry holds it with ${present} bytes, the descriptor says ${descriptor.size}`,
        );
      }
      return "exists";
    }
    await uploadBlob(this.#t, { ...options, repository, descriptor, open, what });
    return "uploaded";
  }

  /**
   * Cross-repository mount of a blob from `fromRepository` of the same
   * registry: true when the registry mounted it (201); false when it answered
   * 202 (the session is cancelled) or declined. Never throws for a declined
   * mount (Harbor/ECR quirks), only for auth, network and server errors.
   */
  async blobMount(
    repository: string,
    digest: string,
    fromRepository: string,
    options: CallOptions = {},
  ): Promise<boolean> {
    const what = `blob ${this.#name(repository, digest)}`;
    return await mountBlob(this.#t, { repository, digest, fromRepository, what, signal: options.signal });
  }

  /**
   * The manifests whose `subject` is `digest`: the referrers API (every page), or, where the
   * registry has none (404, 400, 406), the index under the fallback tag `sha256-<hex>`; no tag,
   * no referrers. With `artifactType`, only referrers of that type.
   */
  async referrers(
    repository: string,
    digest: string,
    options: CallOptions & { artifactType?: string } = {},
  ): Promise<Descriptor[]> {
    const what = `referrers of ${this.#name(repository, digest)}`;
    const { artifactType } = options;
    const listed = await this.referrersFromApi(repository, digest, options);
    if (listed !== undefined) return listed;
    const index = await this.manifestFind(repository, referrersTag(digest), options);
    if (index === undefined) return [];
    return filterArtifactType(
      descriptorsOf(index.bytes, `${what} (tag ${referrersTag(digest)})`),
      artifactType,
    );
  }

  /**
   * The referrers API's answer for `digest` (every page; only `artifactType` when given), or
   * undefined when the registry has no referrers API (it answers 404, 400 or 406).
   */
  async referrersFromApi(
    repository: string,
    digest: string,
    options: CallOptions & { artifactType?: string } = {},
  ): Promise<Descriptor[] | undefined> {
    parseDigest(digest);
    // A registry without the API says so once: later subjects go to the fallback tag at once.
    if (this.#noReferrersApi) return undefined;
    const listed = await referrersFromApi(this.#t, {
      repository,
      subject: digest,
      artifactType: options.artifactType,
      scopes: [pullScope(repository)],
      what: `referrers of ${this.#name(repository, digest)}`,
      signal: options.signal,
    });
    if (listed === undefined) this.#noReferrersApi = true;
    return listed;
  }

  /** cosign's `.sig`, `.att` and `.sbom` manifests of `digest` that exist, by suffix. */
  async cosignArtifacts(
    repository: string,
    digest: string,
    options: CallOptions = {},
  ): Promise<{ suffix: CosignSuffix; tag: string; manifest: FetchedManifest }[]> {
    // The three looked up at once: most images have none, and each miss is a round trip.
    const found = await Promise.all(
      COSIGN_SUFFIXES.map(async (suffix) => {
        const tag = cosignTag(digest, suffix);
        const manifest = await this.manifestFind(repository, tag, options);
        return manifest === undefined ? [] : [{ suffix, tag, manifest }];
      }),
    );
    return found.flat();
  }

  /**
   * A manifest by tag or digest, or undefined when the registry has none: one GET, whose bytes
   * are the manifest (hashed as they came) and whose 404 is the miss. On Docker Hub a HEAD goes
   * first: Docker Hub counts manifest GETs against its pull rate limit and not HEADs, and most
   * of these lookups (cosign's tags, the referrers fallback tag) miss; a hit is then fetched by
   * the digest the HEAD answered, so the bytes are verified even if the tag moves in between.
   */
  async manifestFind(
    repository: string,
    reference: string,
    options: CallOptions = {},
  ): Promise<FetchedManifest | undefined> {
    if (!isDockerHub(this.registry)) {
      const res = await this.#manifestRequest(repository, reference, [200, 404], options);
      if (res.status === 200) return await this.#manifestRead(res, repository, reference);
      // Read (a small error document), not cut: the connection stays for the next request.
      await res.body.dump();
      return undefined;
    }
    const head = await this.manifestHead(repository, reference, options);
    if (head === undefined) return undefined;
    try {
      return await this.manifestGet(repository, head.digest, options);
    } catch (err) {
      if (err instanceof AirlockError && err.code === "ERR_NOT_FOUND") return undefined;
      throw err;
    }
  }

  /** Every tag of a repository, following Link pagination. */
  async tagList(repository: string, options: CallOptions & { pageSize?: number } = {}): Promise<string[]> {
    return await listPaginated(this.#t, {
      path: `/v2/${repository}/tags/list?n=${options.pageSize ?? 1000}`,
      field: "tags",
      scopes: [pullScope(repository)],
      what: `tags of ${this.#name(repository)}`,
      signal: options.signal,
    });
  }

  /** Every repository in the registry's catalog, following Link pagination. */
  async catalog(options: CallOptions & { pageSize?: number } = {}): Promise<string[]> {
    return await listPaginated(this.#t, {
      path: `/v2/_catalog?n=${options.pageSize ?? 1000}`,
      field: "repositories",
      scopes: [CATALOG_SCOPE],
      what: `catalog of ${this.registry}`,
      signal: options.signal,
    });
  }

  /** Closes pooled connections. */
  async close(): Promise<void> {
    await this.#t.close();
  }

  #name(repository: string, reference?: string): string {
    const base = `${this.registry}/${repository}`;
    if (reference === undefined) return base;
    return DIGEST_REF.test(reference) ? `${base}@${reference}` : `${base}:${reference}`;
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The body's mediaType wins over the Content-Type header. */
function sniffMediaType(bytes: Buffer, contentType: string | undefined): string {
  try {
    const json = JSON.parse(bytes.toString("utf8")) as { mediaType?: unknown; manifests?: unknown };
    if (typeof json.mediaType === "string" && json.mediaType) return json.mediaType;
    if (contentType !== undefined && contentType !== "application/json") return contentType;
    return Array.isArray(json.manifests)
      ? "application/vnd.oci.image.index.v1+json"
      : "application/vnd.oci.image.manifest.v1+json";
  } catch {
    return contentType ?? "application/octet-stream";
  }
}
