/** The `--listen` address. Pure. */

import { AirlockError } from "../errors.js";

export const DEFAULT_LISTEN = "127.0.0.1:5000";

export interface ListenAddress {
  /** undefined: every interface. IPv6 without brackets. */
  host?: string;
  port: number;
}

/**
 * Parses "HOST:PORT", "[IPV6]:PORT", ":PORT" (every interface) or "PORT"
 * (loopback). Port 0 picks a free one.
 * @throws AirlockError ERR_USAGE
 */
export function parseListen(text: string): ListenAddress {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):)?([0-9]{1,5})$/.exec(text.trim());
  const port = Number(match?.[2]);
  if (match === null || port > 65535) {
    throw new AirlockError(
      "ERR_USAGE",
      `invalid listen address "${text}": expected HOST:PORT such as 127.0.0.1:5000, [::1]:5000 or :5000`,
    );
  }
  const host = match[1];
  if (host === undefined) return { host: "127.0.0.1", port };
  if (host === "") return { port };
  return { host: host.startsWith("[") ? host.slice(1, -1) : host, port };
}

/** "HOST:PORT" for a URL: IPv6 in brackets; a wildcard address becomes loopback. */
export function urlHost(address: string, port: number): string {
  if (address === "0.0.0.0" || address === "::" || address === "") return `127.0.0.1:${port}`;
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}
