/**
 * What every copy of one run shares: a blob crosses the wire once per
 * registry however many images and repositories need it. The first copy of
 * a digest into a registry runs; later repositories wait for it and mount.
 * Transfers are bounded by one limiter, largest first, so a run's tail is
 * small blobs rather than one long upload.
 */
import type { Readable } from "node:stream";
import type { Descriptor } from "../oci/types.js";
import type { ReleasableReadable } from "../registry/blob-upload.js";
import { countedStream } from "../stream/count-bytes.js";
import { Limiter } from "../util/limiter.js";
import type { BlobEnsureOptions, ImageSource, ImageTarget, MountScope } from "./image-store.js";

/** What the copies of a run did (or, in a dry run, would do) with blobs and manifests. */
export interface CopyStats {
  uploaded: number;
  mounted: number;
  /** Blobs already in the target (by HEAD or the journal). */
  skipped: number;
  bytesUploaded: number;
  /** With dry-run: blobs and bytes that would be uploaded (mounted and skipped ones are counted above). */
  blobsToUpload: number;
  bytesToUpload: number;
  manifests: number;
  tags: number;
  /** Requests the target registry's client retried (set by the verb from the client after the run). */
  retries?: number;
}

/** Where blobs were confirmed present, kept across runs (the push journal). */
export interface LocationJournal {
  /** A repository each recorded blob was confirmed in: digest → repository. */
  locations(): Map<string, string>;
  record(repository: string, digest: string): Promise<void>;
}

/** What happened to one blob. */
export type BlobOutcome = "uploaded" | "mounted" | "exists";

/** Told of a blob's bytes as they stream (for progress); see util/blob-tally.ts. */
export interface BlobProgress {
  /** `n` more bytes of `blob` went by (negative when an attempt started again). */
  sent(blob: Descriptor, n: number): void;
  /** An attempt starts again from the first byte: what it had sent no longer counts. */
  restart(blob: Descriptor): void;
  /** `blob` is in the target, however it got there. */
  present(blob: Descriptor): void;
}

export interface CopySessionOptions {
  /** Blob transfers in flight at once across every copy of the session; default 8. */
  concurrency?: number;
  /** HEADs only: count what would be mounted, skipped and uploaded; write nothing. */
  dryRun?: boolean;
  signal?: AbortSignal;
  /** The journal of one target registry: seeds where blobs are, and learns each confirmed one. */
  journal?: { registry: string; journal: LocationJournal };
  /** Bytes per PATCH of a chunked upload (the registry client's default when unset). */
  chunkSize?: number;
  /** Blobs up to this size go in one streamed PUT, larger ones in chunks. */
  monolithicMax?: number;
}

/** One run's shared state for copying many images into stores; pass it to copyGraph. */
export class CopySession {
  readonly stats: CopyStats = {
    uploaded: 0,
    mounted: 0,
    skipped: 0,
    bytesUploaded: 0,
    blobsToUpload: 0,
    bytesToUpload: 0,
    manifests: 0,
    tags: 0,
  };
  readonly options: CopySessionOptions;
  readonly #limiter: Limiter;
  /** registry → digest → a repository known to hold it. */
  readonly #known = new Map<string, Map<string, string>>();
  /** registry/repository@digest (or per target object) → the transfer making it present. */
  readonly #inflight = new Map<string, Promise<BlobOutcome>>();
  readonly #local = new WeakMap<ImageTarget, Map<string, Promise<BlobOutcome>>>();
  /** registry@digest → its first transfer this run. */
  readonly #first = new Map<string, Promise<BlobOutcome>>();

  constructor(options: CopySessionOptions = {}) {
    this.options = options;
    this.#limiter = new Limiter(options.concurrency ?? 8);
    const j = options.journal;
    if (j !== undefined) this.#known.set(j.registry, j.journal.locations());
  }

  get dryRun(): boolean {
    return this.options.dryRun === true;
  }

  get signal(): AbortSignal | undefined {
    return this.options.signal;
  }

  /** Learns that `repository` of `registry` holds the blob (checked by the caller): later copies mount from there. */
  knownAt(registry: string, digest: string, repository: string): void {
    this.#knownIn(registry).set(digest, repository);
  }

  /**
   * Makes a blob present in `target`, once per target and digest in this
   * session: mount it from a repository of the same registry known to hold
   * it, else store it unless present. Within one registry the first copy of
   * a digest goes alone; the others wait for it, then mount.
   */
  ensureBlob(
    source: ImageSource,
    target: ImageTarget,
    blob: Descriptor,
    progress?: BlobProgress,
  ): Promise<BlobOutcome> {
    const scope = target.mountScope;
    if (scope === undefined) return this.#ensureLocal(source, target, blob, progress);
    const key = `${scope.registry}/${scope.repository}@${blob.digest}`;
    let pending = this.#inflight.get(key);
    if (pending === undefined) {
      const transfer = (): Promise<BlobOutcome> =>
        this.#limiter.run(() => this.#transfer(source, target, scope, blob, progress), blob.size);
      const firstKey = `${scope.registry}@${blob.digest}`;
      const first = this.#first.get(firstKey);
      pending = first === undefined ? transfer() : first.catch(() => undefined).then(transfer);
      if (first === undefined) this.#first.set(firstKey, pending);
      this.#inflight.set(key, pending);
      // A failed transfer is forgotten, so that a later pass tries the blob afresh.
      const settled = pending;
      settled.catch(() => {
        if (this.#inflight.get(key) === settled) this.#inflight.delete(key);
        if (this.#first.get(firstKey) === settled) this.#first.delete(firstKey);
      });
    }
    return pending;
  }

  /** A target outside any registry (a layout, an archive): once per target object and digest. */
  #ensureLocal(
    source: ImageSource,
    target: ImageTarget,
    blob: Descriptor,
    progress: BlobProgress | undefined,
  ): Promise<BlobOutcome> {
    let perTarget = this.#local.get(target);
    if (perTarget === undefined) {
      perTarget = new Map<string, Promise<BlobOutcome>>();
      this.#local.set(target, perTarget);
    }
    let pending = perTarget.get(blob.digest);
    if (pending === undefined) {
      pending = this.#limiter.run(() => this.#store(source, target, blob, progress), blob.size);
      perTarget.set(blob.digest, pending);
      const settled = pending;
      settled.catch(() => {
        if (perTarget.get(blob.digest) === settled) perTarget.delete(blob.digest);
      });
    }
    return pending;
  }

  async #transfer(
    source: ImageSource,
    target: ImageTarget,
    scope: MountScope,
    blob: Descriptor,
    progress: BlobProgress | undefined,
  ): Promise<BlobOutcome> {
    const from = this.#mountFrom(source, scope, blob.digest);
    if (this.dryRun) return this.#count(blob, await this.#dryRun(target, scope, blob, from));
    const mounted =
      from !== undefined &&
      target.blobMount !== undefined &&
      (await target.blobMount(blob, from, { signal: this.signal }));
    const outcome = mounted
      ? this.#count(blob, "mounted")
      : await this.#store(source, target, blob, progress);
    await this.options.journal?.journal.record(scope.repository, blob.digest);
    this.#knownIn(scope.registry).set(blob.digest, scope.repository);
    return outcome;
  }

  /** Another repository of the target's registry known to hold the blob: this run, the journal, or the source. */
  #mountFrom(source: ImageSource, scope: MountScope, digest: string): string | undefined {
    const known = this.#knownIn(scope.registry).get(digest);
    if (known !== undefined && known !== scope.repository) return known;
    const s = source.mountScope;
    if (s !== undefined && s.registry === scope.registry && s.repository !== scope.repository) {
      return s.repository;
    }
    return undefined;
  }

  /** What the push would do, by HEADs alone, mirroring its order: mount where known, else skip when present, else upload. */
  async #dryRun(
    target: ImageTarget,
    scope: MountScope,
    blob: Descriptor,
    from: string | undefined,
  ): Promise<BlobOutcome | "would-upload"> {
    this.#knownIn(scope.registry).set(blob.digest, scope.repository);
    if (from !== undefined && target.blobMount !== undefined) return "mounted";
    return (await target.blobHas(blob, { signal: this.signal })) ? "exists" : "would-upload";
  }

  /** Stores a blob unless the target has it; reads unverified where the target verifies (a bundle into a registry). */
  async #store(
    source: ImageSource,
    target: ImageTarget,
    blob: Descriptor,
    progress: BlobProgress | undefined,
  ): Promise<BlobOutcome> {
    const { signal } = this;
    let outcome: BlobOutcome;
    if (target.blobEnsure !== undefined) {
      const open = (): Promise<Readable> =>
        source.blobGetUnverified?.(blob) ?? source.blobGet(blob, { signal });
      const result = await target.blobEnsure(blob, open, this.#ensureOptions(source, blob, progress));
      outcome = result === "exists" ? "exists" : "uploaded";
    } else if (await target.blobHas(blob, { signal })) {
      outcome = "exists";
    } else {
      const open = async (): Promise<Readable> => {
        const stream = await source.blobGet(blob, { signal });
        if (progress === undefined) return stream;
        progress.restart(blob);
        return countedStream(stream, (n) => progress.sent(blob, n));
      };
      await target.blobPut(blob, open, { signal, from: source });
      outcome = "uploaded";
    }
    return this.#count(blob, outcome);
  }

  #ensureOptions(
    source: ImageSource,
    blob: Descriptor,
    progress: BlobProgress | undefined,
  ): BlobEnsureOptions {
    const verifying = source.blobGetUnverified !== undefined && source.blobOpenVerified !== undefined;
    return {
      signal: this.signal,
      onBytes: progress === undefined ? undefined : (n) => progress.sent(blob, n),
      monolithicMax: this.options.monolithicMax,
      chunkSize: this.options.chunkSize,
      openVerified: verifying
        ? (onBytes: (total: number) => void) => source.blobOpenVerified?.(blob, onBytes) as ReleasableReadable
        : undefined,
    };
  }

  #count(blob: Descriptor, outcome: BlobOutcome | "would-upload"): BlobOutcome {
    const s = this.stats;
    if (outcome === "would-upload") {
      s.blobsToUpload++;
      s.bytesToUpload += blob.size;
      return "uploaded";
    }
    if (outcome === "mounted") s.mounted++;
    else if (outcome === "exists") s.skipped++;
    else {
      s.uploaded++;
      s.bytesUploaded += blob.size;
    }
    return outcome;
  }

  #knownIn(registry: string): Map<string, string> {
    let m = this.#known.get(registry);
    if (m === undefined) {
      m = new Map<string, string>();
      this.#known.set(registry, m);
    }
    return m;
  }
}
