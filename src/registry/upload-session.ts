import type { Readable } from "node:stream";
import { AirlockError, RegistryError } from "../errors.js";
import { pushScope } from "./scope.js";
import type { Method, RegistryRequest, RegistryResponse, RegistryTransport } from "./transport.js";

/** Where a blob goes: one repository of one registry, and the digest it must end up under. */
export interface UploadTarget {
  transport: RegistryTransport;
  repository: string;
  digest: string;
  /** Named in errors, e.g. "blob 127.0.0.1:5000/app@sha256:…". */
  what: string;
  signal?: AbortSignal;
}

/** Cancelling is best effort, but must not hang a failed upload (nor Ctrl-C) for long. */
const CANCEL_TIMEOUT_MS = 10_000;
/** "0-N" as registry:2 and the spec send it; "bytes=0-N" from some others. */
const UPLOAD_RANGE = /^(?:bytes=)?0-(\d+)$/;
/** Codes by which a registry says the session is gone or its bytes are not what was sent. */
const SESSION_CODES = new Set([
  "BLOB_UPLOAD_UNKNOWN",
  "BLOB_UPLOAD_INVALID",
  "DIGEST_INVALID",
  "SIZE_INVALID",
]);

/**
 * One upload session (`POST /v2/<name>/blobs/uploads/`). It always uses the
 * newest `Location` the registry sent, resolved against the URL that
 * answered, and adds `digest` with URLSearchParams so that registry:2's
 * `_state` parameter survives.
 */
export class UploadSession {
  readonly #target: UploadTarget;
  #location: URL;
  /** The registry's `OCI-Chunk-Min-Length`, 0 when it names none. */
  readonly chunkMin: number;

  private constructor(target: UploadTarget, location: URL, chunkMin: number) {
    this.#target = target;
    this.#location = location;
    this.chunkMin = chunkMin;
  }

  /** Starts a session with a POST. */
  static async start(target: UploadTarget): Promise<UploadSession> {
    const res = await target.transport.send({
      method: "POST",
      path: `/v2/${target.repository}/blobs/uploads/`,
      scopes: [pushScope(target.repository)],
      expect: [202],
      what: target.what,
      signal: target.signal,
    });
    await res.body.dump();
    return UploadSession.fromResponse(target, res);
  }

  /** The session a 202 to a POST (an upload start, or a mount the registry declined) opened. */
  static fromResponse(target: UploadTarget, res: RegistryResponse): UploadSession {
    const location = locationOf(res);
    if (location === undefined) {
      throw new AirlockError(
        "ERR_REGISTRY",
        `${target.what}: the registry opened an upload session without a Location header`,
      );
    }
    const min = Number(firstHeader(res.headers["oci-chunk-min-length"]));
    return new UploadSession(target, location, Number.isSafeInteger(min) && min > 0 ? min : 0);
  }

  /**
   * Sends bytes `start`…`start + body.length - 1` of the blob. An error status
   * is retried by the transport; a broken connection is not (the registry may
   * hold part of the chunk): ask `received()` where the session stands.
   */
  async patch(body: Buffer, start: number): Promise<void> {
    const res = await this.#send("PATCH", this.#location, [202, 201, 204], {
      body,
      retry: "status",
      headers: {
        "content-type": "application/octet-stream",
        // No "bytes " prefix: the spec's form; ACR refuses the prefixed one.
        "content-range": `${start}-${start + body.length - 1}`,
        "content-length": String(body.length),
      },
    });
    await res.body.dump();
    this.#location = locationOf(res) ?? this.#location;
  }

  /**
   * Closes the session with `PUT <location>?digest=…`, sending `body` (all
   * `size` bytes, or none after PATCHes), and checks the digest the registry
   * says it stored. A PUT with a body whose connection broke is not sent to
   * this session again: the registry may hold part of it.
   */
  async commit(body: Buffer | (() => Readable) | undefined, size: number): Promise<void> {
    const url = new URL(this.#location);
    url.searchParams.set("digest", this.#target.digest);
    const headers: Record<string, string> = { "content-length": String(body === undefined ? 0 : size) };
    if (body !== undefined) headers["content-type"] = "application/octet-stream";
    const retry = body === undefined ? "all" : "status";
    const res = await this.#send("PUT", url, [201, 204], { body, headers, retry });
    await res.body.dump();
    const stored = firstHeader(res.headers["docker-content-digest"]);
    if (stored !== undefined && stored !== this.#target.digest) {
      throw new AirlockError(
        "ERR_DIGEST_MISMATCH",
        `${this.#target.what}: the registry stored the upload as ${stored}`,
      );
    }
  }

  /**
   * How many bytes the registry holds (`GET <location>` → 204 with
   * `Range: 0-N`), or undefined when it no longer knows the session.
   * registry:2 reports an empty session as "0-0", read here as 0 bytes.
   */
  async received(): Promise<number | undefined> {
    const res = await this.#send("GET", this.#location, [204, 404], {});
    await res.body.dump();
    if (res.status === 404) return undefined;
    this.#location = locationOf(res) ?? this.#location;
    const match = UPLOAD_RANGE.exec(firstHeader(res.headers.range) ?? "");
    const last = match?.[1] === undefined ? 0 : Number(match[1]);
    return last === 0 ? 0 : last + 1;
  }

  /** Counts a recovery of this session (a resync) as a retry of its transport. */
  noteRetry(reason: string): void {
    this.#target.transport.noteRetry(this.#target.what, reason);
  }

  /** Cancels the session with DELETE; best effort: errors are ignored. */
  async cancel(): Promise<void> {
    try {
      const res = await this.#target.transport.send({
        method: "DELETE",
        path: this.#location.toString(),
        scopes: [pushScope(this.#target.repository)],
        expect: [204, 200, 202, 404],
        what: `${this.#target.what} (cancelling the upload)`,
        retry: "none",
        // Not the caller's signal: after Ctrl-C it is aborted, and the session should still go.
        signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS),
      });
      await res.body.dump();
    } catch {
      // The registry expires abandoned sessions anyway.
    }
  }

  async #send(
    method: Method,
    url: URL,
    expect: number[],
    extra: Pick<RegistryRequest, "body" | "headers" | "retry">,
  ): Promise<RegistryResponse> {
    return await this.#target.transport.send({
      method,
      path: url.toString(),
      scopes: [pushScope(this.#target.repository)],
      expect,
      what: this.#target.what,
      signal: this.#target.signal,
      ...extra,
    });
  }
}

/**
 * True when the registry lost the session or holds other bytes than were sent
 * (a 416, a 404, BLOB_UPLOAD_UNKNOWN/INVALID, DIGEST_INVALID), or when the
 * connection broke while sending to it (the registry may hold part of the
 * body): asking where it stands, or starting over, can succeed where
 * repeating the request cannot.
 */
export function isSessionTrouble(err: unknown): boolean {
  if (isCut(err)) return true;
  if (!(err instanceof RegistryError)) return false;
  return err.status === 416 || err.status === 404 || err.details.some((d) => SESSION_CODES.has(d.code));
}

/** A network failure worth retrying (the registry had answered before): reset, cut, refused mid-run. */
export function isCut(err: unknown): boolean {
  return err instanceof AirlockError && err.code === "ERR_NETWORK" && err.retryable;
}

/** The response's Location resolved against the URL that answered, if it sent one. */
function locationOf(res: RegistryResponse): URL | undefined {
  const value = firstHeader(res.headers.location);
  return value === undefined || value === "" ? undefined : new URL(value, res.url);
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
