import { parseDigest } from "../oci/digest.js";
import { pullScope, pushScope } from "./scope.js";
import type { RegistryResponse, RegistryTransport } from "./transport.js";
import { UploadSession } from "./upload-session.js";

/** What mountBlob needs. */
export interface BlobMountJob {
  repository: string;
  digest: string;
  fromRepository: string;
  /** Named in errors, e.g. "blob 127.0.0.1:5000/app@sha256:…". */
  what: string;
  signal?: AbortSignal;
}

/**
 * Statuses by which registries decline a mount they cannot or will not do:
 * unknown source (404), no pull on it (403, or 401 once a fresh token still
 * lacks it: the target's credential, which a mount uses, may not read the
 * source's namespace), no mount support (405, 501), quirks (400, 409). The
 * caller then uploads the blob normally, and that upload reports any real
 * problem.
 */
const DECLINED = [400, 401, 403, 404, 405, 409, 501];

/**
 * Cross-repository mount: `POST /v2/<name>/blobs/uploads/?mount=<digest>&from=<from>`
 * with push on the target and pull on the source in one token. True on 201;
 * false when the registry opened an upload session instead (202; it is
 * cancelled) or declined. Throws only for authentication, network and
 * server errors (after the transport's retries).
 */
export async function mountBlob(transport: RegistryTransport, job: BlobMountJob): Promise<boolean> {
  parseDigest(job.digest);
  const query = new URLSearchParams({ mount: job.digest, from: job.fromRepository });
  const res = await transport.send({
    method: "POST",
    path: `/v2/${job.repository}/blobs/uploads/?${query.toString()}`,
    scopes: [pushScope(job.repository), pullScope(job.fromRepository)],
    expect: [201, 202, ...DECLINED],
    what: `${job.what} (mount from ${job.fromRepository})`,
    signal: job.signal,
  });
  await res.body.dump();
  if (res.status === 202) await cancelSession(transport, job, res);
  return res.status === 201;
}

/** Cancels the session a declined mount opened; without a Location there is none to cancel. */
async function cancelSession(transport: RegistryTransport, job: BlobMountJob, res: RegistryResponse) {
  const target = { transport, repository: job.repository, digest: job.digest, what: job.what };
  let session: UploadSession;
  try {
    session = UploadSession.fromResponse(target, res);
  } catch {
    return;
  }
  await session.cancel();
}
