import { readFile } from "node:fs/promises";
import { createServer as createHttpServer, type RequestListener, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { AirlockError, messageOf } from "../errors.js";
import { ContentPool } from "./content-pool.js";
import { createHandler } from "./handler.js";
import { DEFAULT_LISTEN, parseListen, urlHost, type ListenAddress } from "./listen.js";
import type { MappingRule } from "../ref/target-name.js";
import { buildContent, type CarriedTag } from "./repositories.js";
import { openServedSource } from "./sources.js";
import { isDeltaBundle } from "../bundle/is-delta.js";
import { BundleSource } from "../store/bundle-store.js";

/** A connection that moves no byte either way for this long is closed (a stalled client). */
const IDLE_SOCKET_MS = 120_000;

export interface ServeOptions {
  /** "HOST:PORT" (default 127.0.0.1:5000); port 0 picks a free one. */
  listen?: string;
  /** PEM certificate chain and key: serve HTTPS. Both or neither. */
  tlsCert?: string;
  tlsKey?: string;
  /** Serve every repository under this path, as push-bundle --prefix would push it. */
  prefix?: string;
  /** Keep the source registry host as the first path component. */
  keepHost?: boolean;
  /** push-bundle's mapping rules (`--mapping FILE`, read by loadMapping); the longest `from` wins. */
  mapping?: readonly MappingRule[];
  /** One line per finished request. */
  onRequest?: (line: string) => void;
  /** Problems with the sources (an unreadable manifest, a tag named twice) and failed responses. */
  onWarning?: (message: string) => void;
  /** Aborting closes the server. */
  signal?: AbortSignal;
}

/** A running read-only registry. */
export interface ServedRegistry {
  /** "http://127.0.0.1:5000" (https with TLS). */
  url: string;
  /** "127.0.0.1:5000": what to put before a repository in a reference. */
  host: string;
  /** References served (tags and digest-only images). */
  images: number;
  /** Repository names, sorted. */
  repositories: string[];
  /**
   * Tags of sparse indexes (filtered multi-platform images), answered with an index of the
   * carried platforms (a new digest, the one push-bundle writes where a registry refuses the
   * sparse index); their upstream index still answers by digest. Empty when every tag names its upstream digest.
   */
  carried: CarriedTag[];
  /** Stops listening and ends every connection. Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves bundles (tars, read by offset; several bundles or parts share one
 * pool of blobs) and OCI layout directories as a read-only OCI distribution
 * registry. Repositories are named as push-bundle names them.
 * @throws AirlockError ERR_USAGE, ERR_FILE, ERR_BUNDLE_CORRUPT, ERR_MANIFEST_INVALID, ERR_TOO_LARGE, ERR_TLS, ERR_NETWORK
 */
export async function serveRegistry(sources: string[], options: ServeOptions = {}): Promise<ServedRegistry> {
  if (sources.length === 0)
    throw new AirlockError("ERR_USAGE", "nothing to serve: name a bundle or an OCI layout");
  const address = parseListen(options.listen ?? DEFAULT_LISTEN);
  const tls = await readTls(options.tlsCert, options.tlsKey);
  const warn = options.onWarning ?? ((): void => undefined);
  const opened = [];
  for (const source of sources) {
    const served = await openServedSource(source, options.signal);
    if (served.store instanceof BundleSource && isDeltaBundle(served.store.reader)) {
      warn(
        `${source} is a delta bundle: the layers and configs it leaves out are not served (404); serve it with the bundles it is a delta against`,
      );
    }
    opened.push(served);
  }
  const pool = new ContentPool(opened);
  const content = await buildContent(pool, options, warn);
  const handler = createHandler(content, { onRequest: options.onRequest, warn });
  const server = createServer(handler, tls);
  server.timeout = IDLE_SOCKET_MS;
  const port = await listen(server, address);
  const host = urlHost(address.host ?? "", port);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= closeServer(server).then(() => pool.close()));
  options.signal?.addEventListener("abort", () => void close(), { once: true });
  return {
    url: `${tls === undefined ? "http" : "https"}://${host}`,
    host,
    images: content.images,
    repositories: [...content.repositories.keys()].sort(),
    carried: content.carried,
    close,
  };
}

async function readTls(
  certFile: string | undefined,
  keyFile: string | undefined,
): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    throw new AirlockError("ERR_USAGE", "TLS needs both a certificate (--tls-cert) and its key (--tls-key)");
  }
  const read = (file: string, what: string): Promise<Buffer> =>
    readFile(file).catch((err: unknown) => {
      throw new AirlockError("ERR_FILE", `cannot read TLS ${what} ${file}: ${messageOf(err)}`, {
        cause: err,
      });
    });
  return { cert: await read(certFile, "certificate"), key: await read(keyFile, "key") };
}

function createServer(handler: RequestListener, tls: { cert: Buffer; key: Buffer } | undefined): Server {
  const options = { keepAliveTimeout: 30_000 };
  if (tls === undefined) return createHttpServer(options, handler);
  try {
    return createHttpsServer({ ...options, ...tls }, handler);
  } catch (err) {
    throw new AirlockError("ERR_TLS", `cannot use the TLS certificate and key: ${messageOf(err)}`, {
      cause: err,
    });
  }
}

function listen(server: Server, address: ListenAddress): Promise<number> {
  return new Promise((resolve, reject) => {
    const where = urlHost(address.host ?? "", address.port);
    server.once("error", (err: NodeJS.ErrnoException) => {
      const why = err.code === "EADDRINUSE" ? "the address is in use" : messageOf(err);
      reject(new AirlockError("ERR_NETWORK", `cannot listen on ${where}: ${why}`, { cause: err }));
    });
    server.listen({ host: address.host, port: address.port }, () => {
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
