import { Readable } from "node:stream";
import { AirlockError, messageOf } from "../errors.js";
import { parseDigest } from "../oci/digest.js";
import type { ExpectedContent } from "../stream/verify-stream.js";
import type { RegistryTransport } from "./transport.js";
import { ChunkReader, countBytes, readVerified, verifiedPieces, type OpenSource } from "./upload-source.js";
import { RetryBudget } from "./retry.js";
import { pushScope } from "./scope.js";
import { UploadSession, isSessionTrouble, type UploadTarget } from "./upload-session.js";

export type { OpenSource } from "./upload-source.js";

/** A body whose buffers may be reused once the request that sent it was answered. */
export type ReleasableReadable = Readable & { release?: () => void };

/** How a blob is uploaded; every field optional. */
export interface BlobUploadOptions {
  signal?: AbortSignal;
  /** Bytes per PATCH for chunked uploads; raised to the registry's OCI-Chunk-Min-Length. */
  chunkSize?: number;
  /** Blobs up to this size go in one streamed PUT; larger ones in chunks. */
  monolithicMax?: number;
  /** Bytes sent so far; goes back to 0 when an upload has to start over. */
  onProgress?: (bytes: number) => void;
  /**
   * A fresh stream of the blob that checks its own size and sha256 and
   * withholds its last byte unless they match (a VerifiedFileRange); when
   * given, a streamed PUT sends it instead of verifying `open()` again, and
   * calls its `release()`, if any, once the registry has answered the PUT.
   */
  openVerified?: (onBytes: (total: number) => void) => ReleasableReadable;
}

/** What uploadBlob needs besides the options. */
export interface BlobUploadJob extends BlobUploadOptions {
  repository: string;
  descriptor: { digest: string; size: number };
  open: OpenSource;
  /** Named in errors, e.g. "blob 127.0.0.1:5000/app@sha256:…". */
  what: string;
}

/**
 * One PATCH holds a chunk in memory, so this is the memory per concurrent
 * upload; 16 MiB keeps a 1 GiB layer to 64 round trips.
 */
export const DEFAULT_CHUNK_SIZE = 16 * 1024 * 1024;
/**
 * A streamed PUT needs no buffer, but a failure resends all of it (a fresh
 * `open()`); up to 32 MiB (most config and small layers) one round trip is
 * worth that, above it a failure should cost at most one chunk.
 */
export const DEFAULT_MONOLITHIC_MAX = 32 * 1024 * 1024;
/** Blobs up to 1 MiB are read and verified before the upload starts, and retried from memory. */
const BUFFER_MAX = 1024 * 1024;
/** A registry asking for larger chunks than this gets one streamed PUT instead. */
const MAX_CHUNK = 256 * 1024 * 1024;
/** Fresh sessions after the registry lost one or a body was cut, within the retry budget. */
const MAX_RESTARTS = 5;
/** `GET <location>` resyncs per chunk. */
const MAX_RESYNCS = 3;

/**
 * Uploads a blob the registry does not have: POST, then one PUT with the
 * whole body (small blobs) or PATCHes of one buffered chunk each and an empty
 * PUT. Bytes are verified as they leave; a failed session is cancelled with
 * DELETE. A body is never sent again to a session after its connection
 * broke: a chunk continues from the offset the registry reports (`GET
 * <location>`); otherwise, and when the registry lost the session, the
 * upload starts over on a fresh session with a fresh `open()`, unless the
 * registry turns out to hold the blob already (a lost answer). Recovery
 * stops when the transport's retry budget (in time, from the first failure)
 * is spent.
 */
export async function uploadBlob(transport: RegistryTransport, job: BlobUploadJob): Promise<void> {
  try {
    await uploadWithRestarts(transport, job);
  } catch (err) {
    if (job.signal?.aborted !== true) throw err;
    throw new AirlockError("ERR_ABORTED", `${job.what}: upload aborted`, { cause: err });
  }
}

async function uploadWithRestarts(transport: RegistryTransport, job: BlobUploadJob): Promise<void> {
  const { size, digest } = checkJob(job);
  const expected: ExpectedContent = { digest, size, what: job.what };
  // Tiny blobs are verified before anything is sent: a bad source then never opens a session.
  const buffered = size <= BUFFER_MAX && size <= (job.monolithicMax ?? DEFAULT_MONOLITHIC_MAX);
  const bytes = buffered ? await readVerified(job.open, expected) : undefined;
  const target: UploadTarget = { transport, repository: job.repository, digest, what: job.what };
  if (job.signal !== undefined) target.signal = job.signal;
  const budget = new RetryBudget({ ...transport.retryPolicy, maxAttempts: MAX_RESTARTS + 1 });
  for (;;) {
    const session = await UploadSession.start(target);
    try {
      await (bytes === undefined
        ? sendStreamed(session, job, expected, budget)
        : session.commit(bytes, size));
      job.onProgress?.(size);
      return;
    } catch (err) {
      await session.cancel();
      if (!isSessionTrouble(err) || job.signal?.aborted === true || !budget.fail()) throw err;
      // The answer to a closing PUT was lost (and its retry finds the session gone), or the cut came
      // after the last byte: the blob is there.
      if (await isStored(target, size).catch(() => false)) {
        job.onProgress?.(size);
        return;
      }
      transport.noteRetry(job.what, `starting the upload over on a fresh session: ${messageOf(err)}`);
      job.onProgress?.(0);
    }
  }
}

/** True when the registry holds the blob with the expected size (HEAD). */
async function isStored(target: UploadTarget, size: number): Promise<boolean> {
  const res = await target.transport.send({
    method: "HEAD",
    path: `/v2/${target.repository}/blobs/${target.digest}`,
    scopes: [pushScope(target.repository)],
    expect: [200, 404],
    what: target.what,
    signal: target.signal,
  });
  await res.body.dump();
  const length = Array.isArray(res.headers["content-length"])
    ? res.headers["content-length"][0]
    : res.headers["content-length"];
  return res.status === 200 && Number(length) === size;
}

function checkJob(job: BlobUploadJob): { size: number; digest: string } {
  const positive = (n: number | undefined, min: number): boolean =>
    n === undefined || (Number.isSafeInteger(n) && n >= min);
  if (!positive(job.chunkSize, 1) || !positive(job.monolithicMax, 0)) {
    throw new AirlockError("ERR_USAGE", `${job.what}: chunkSize must be ≥ 1 and monolithicMax ≥ 0`);
  }
  if (!positive(job.descriptor.size, 0)) {
    throw new AirlockError("ERR_USAGE", `${job.what}: invalid size ${job.descriptor.size}`);
  }
  parseDigest(job.descriptor.digest);
  return job.descriptor;
}

/** A body too large to buffer: one streamed PUT, or chunks when above monolithicMax. */
async function sendStreamed(
  session: UploadSession,
  job: BlobUploadJob,
  expected: ExpectedContent,
  budget: RetryBudget,
): Promise<void> {
  const size = expected.size;
  const chunk = Math.max(job.chunkSize ?? DEFAULT_CHUNK_SIZE, session.chunkMin);
  const monolithic = size <= (job.monolithicMax ?? DEFAULT_MONOLITHIC_MAX) || chunk >= size;
  if (monolithic || chunk > MAX_CHUNK) {
    // A factory body: the transport may retry it, each try opening and verifying the source afresh.
    const { openVerified, onProgress } = job;
    let sent: ReleasableReadable | undefined;
    const body =
      openVerified !== undefined
        ? (): Readable => (sent = openVerified((total) => onProgress?.(total)))
        : (): Readable => Readable.from(countBytes(verifiedPieces(job.open, expected), onProgress));
    await session.commit(body, size);
    // Answered: the registry has read every byte of the last try, so its buffers are free.
    sent?.release?.();
    return;
  }
  const reader = new ChunkReader(verifiedPieces(job.open, expected), job.what);
  try {
    for (let offset = 0; offset < size;) {
      const bytes = await reader.read(Math.min(chunk, size - offset));
      offset = await sendChunk(session, bytes, offset, budget);
      job.onProgress?.(offset);
    }
  } finally {
    await reader.close();
  }
  await session.commit(undefined, size);
}

/**
 * PATCHes one chunk starting at blob offset `start`; returns the offset after
 * it. The transport retries 5xx and 429 (the body is a Buffer). When the
 * connection broke, or the registry answers that the session is out of step
 * (416, 404, …), asks it how many bytes it holds and, if that falls within
 * this chunk, sends the rest of the chunk from there. Otherwise the bytes
 * before this chunk are gone from memory and the stream cannot be rewound:
 * the error makes uploadBlob start over with a fresh session and a fresh
 * `open()`.
 */
async function sendChunk(
  session: UploadSession,
  bytes: Buffer,
  start: number,
  budget: RetryBudget,
): Promise<number> {
  const end = start + bytes.length;
  for (let from = start, resyncs = 0; ; resyncs++) {
    try {
      await session.patch(bytes.subarray(from - start), from);
      return end;
    } catch (err) {
      if (!isSessionTrouble(err) || resyncs >= MAX_RESYNCS || budget.remainingMs() === 0) throw err;
      const held = await session.received();
      if (held === undefined || held < start || held > end) throw err;
      session.noteRetry(`continuing the upload at byte ${held}: ${messageOf(err)}`);
      if (held === end) return end;
      from = held;
    }
  }
}
