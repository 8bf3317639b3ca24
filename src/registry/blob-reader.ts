import { Readable, pipeline } from "node:stream";
import { AirlockError, messageOf } from "../errors.js";
import { VerifyStream } from "../stream/verify-stream.js";
import { networkError } from "./network-error.js";
import { isRetryableNetworkError } from "./retry.js";
import type { Scope } from "./scope.js";
import type { RegistryResponse, RegistryTransport } from "./transport.js";

export interface BlobRead {
  repository: string;
  digest: string;
  size: number;
  scopes: Scope[];
  what: string;
  signal?: AbortSignal;
  /** How many times a cut connection is resumed with Range before giving up. */
  maxResumes?: number;
}

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;

/**
 * A blob's bytes as a stream that fails unless they have the expected size
 * and sha256. A connection cut mid-body is resumed with a Range request from
 * where it stopped; the hash runs across the pieces.
 */
export async function openBlob(transport: RegistryTransport, read: BlobRead): Promise<Readable> {
  const first = await transport.send(blobRequest(read));
  const verifier = new VerifyStream({ digest: read.digest, size: read.size, what: read.what });
  const source = Readable.from(resumingBody(transport, read, first));
  return pipeline(source, verifier, () => undefined);
}

function blobRequest(read: BlobRead, offset?: number): Parameters<RegistryTransport["send"]>[0] {
  return {
    method: "GET",
    path: `/v2/${read.repository}/blobs/${read.digest}`,
    headers: offset === undefined ? {} : { range: `bytes=${offset}-` },
    scopes: read.scopes,
    expect: offset === undefined ? [200] : [200, 206],
    what: read.what,
    signal: read.signal,
  };
}

async function* resumingBody(
  transport: RegistryTransport,
  read: BlobRead,
  first: RegistryResponse,
): AsyncGenerator<Buffer> {
  let res = first;
  let offset = 0;
  let resumes = 0;
  for (;;) {
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        offset += chunk.length;
        yield chunk;
      }
      return;
    } catch (err) {
      const canResume =
        isRetryableNetworkError(err) && offset < read.size && resumes < (read.maxResumes ?? 5);
      if (!canResume)
        throw networkError(err, transport.registry, "GET", res.url, transport.networkContext(res.url));
      resumes++;
      transport.noteRetry(read.what, `resuming the download at byte ${offset}: ${messageOf(err)}`);
      res = await resumeAt(transport, read, offset);
    }
  }
}

async function resumeAt(
  transport: RegistryTransport,
  read: BlobRead,
  offset: number,
): Promise<RegistryResponse> {
  const res = await transport.send(blobRequest(read, offset));
  const range = CONTENT_RANGE.exec(String(res.headers["content-range"] ?? ""));
  if (res.status !== 206 || range === null || Number(range[1]) !== offset) {
    await res.body.dump().catch(() => undefined);
    throw new AirlockError(
      "ERR_NETWORK",
      `${read.what}: the connection was cut at byte ${offset} and the registry cannot resume it (no matching 206 Content-Range)`,
      { retryable: true },
    );
  }
  return res;
}
