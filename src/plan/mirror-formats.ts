/**
 * The runtime configuration that sends pulls of upstream names to the site
 * registry, written from mirror rules: containerd's certs.d tree of
 * hosts.toml (docs/hosts.md in containerd), containers-registries.conf(5)
 * for CRI-O, podman and skopeo, and k3s/RKE2 registries.yaml. TOML and YAML
 * are written by smol-toml and js-yaml. Pure.
 */

import { dump } from "js-yaml";
import { stringify } from "smol-toml";
import { AirlockError } from "../errors.js";
import type { MirrorHost } from "./mirror-rules.js";

export type MirrorFormat = "containerd" | "registries.conf" | "k3s";
export const MIRROR_FORMATS: readonly MirrorFormat[] = ["containerd", "registries.conf", "k3s"];

/** The site registry as the runtimes reach it. */
export interface MirrorSite {
  /** host[:port]. */
  registry: string;
  /** Plain HTTP instead of TLS. */
  plainHttp?: boolean;
  /** TLS without verifying the certificate. */
  insecure?: boolean;
  /** CA certificates to trust for the site: where they are (k3s names the path) and their PEM text. */
  caFiles?: readonly { path: string; pem: string }[];
}

/** One file of a configuration: its path relative to the output directory, and its text. */
export interface MirrorFile {
  path: string;
  content: string;
}

const HEADER = "Written by airlock mirror-config: pulls of these upstream names are served by";
const DOCKER_HUB_SERVER = "https://registry-1.docker.io";

/** The files of `format` for the hosts; the first is the main one (hosts.toml of the first host for containerd). */
export function renderMirrorConfig(
  format: MirrorFormat,
  hosts: readonly MirrorHost[],
  site: MirrorSite,
): MirrorFile[] {
  if (format === "containerd") return containerdFiles(hosts, site);
  if (format === "registries.conf") return registriesConfFiles(hosts, site);
  return k3sFiles(hosts, site);
}

function origin(site: MirrorSite): string {
  return `${site.plainHttp === true ? "http" : "https"}://${site.registry}`;
}

/** certs.d/<host>/hosts.toml per upstream host, the site as its mirror; CA files copied beside each. */
function containerdFiles(hosts: readonly MirrorHost[], site: MirrorSite): MirrorFile[] {
  const split = hosts.filter((h) => h.rules.length !== 1 || h.rules[0]?.from !== "");
  if (split.length > 0) {
    const names = split.map((h) => `${h.host} (${h.rules.map((r) => r.from || "*").join(", ")})`);
    throw new AirlockError(
      "ERR_UNSUPPORTED",
      `containerd's hosts.toml maps a whole upstream host to one place, but the mapping names parts of ${names.join(", ")} differently: use --format registries.conf or k3s, or map whole hosts`,
    );
  }
  const cas = (site.caFiles ?? []).map((ca, i) => ({
    name: i === 0 ? "site-ca.crt" : `site-ca-${i + 1}.crt`,
    ca,
  }));
  return hosts.flatMap((h) => {
    const to = h.rules[0]?.to ?? "";
    const mirror = {
      capabilities: ["pull", "resolve"],
      ...(to !== "" ? { override_path: true } : {}),
      ...(site.insecure === true ? { skip_verify: true } : {}),
      ...(cas.length === 1 ? { ca: cas[0]?.name } : cas.length > 1 ? { ca: cas.map((c) => c.name) } : {}),
    };
    const config = {
      server: h.host === "docker.io" ? DOCKER_HUB_SERVER : `https://${h.host}`,
      host: { [`${origin(site)}${to !== "" ? `/v2/${to}` : ""}`]: mirror },
    };
    const header = `# ${HEADER} ${site.registry}${to !== "" ? ` under ${to}/` : ""}\n`;
    return [
      { path: `${h.host}/hosts.toml`, content: header + stringify(config) },
      ...cas.map((c) => ({ path: `${h.host}/${c.name}`, content: c.ca.pem })),
    ];
  });
}

/** One [[registry]] per upstream namespace, the site as its mirror; CAs go to certs.d/<site>/ (containers-certs.d(5)). */
function registriesConfFiles(hosts: readonly MirrorHost[], site: MirrorSite): MirrorFile[] {
  const insecure = site.plainHttp === true || site.insecure === true;
  const registry = hosts.flatMap((h) =>
    h.rules.map((r) => ({
      prefix: r.from === "" ? h.host : `${h.host}/${r.from}`,
      // containers/image before 5.25 refuses a [[registry]] without location, whatever its prefix.
      location: r.from === "" ? h.host : `${h.host}/${r.from}`,
      mirror: [
        {
          location: r.to === "" ? site.registry : `${site.registry}/${r.to}`,
          ...(insecure ? { insecure } : {}),
        },
      ],
    })),
  );
  const header = `# ${HEADER} ${site.registry}\n`;
  const cas = (site.caFiles ?? []).map((ca, i) => ({
    path: `certs.d/${site.registry}/${i === 0 ? "ca.crt" : `ca-${i + 1}.crt`}`,
    content: ca.pem,
  }));
  return [{ path: "registries.conf", content: header + stringify({ registry }) }, ...cas];
}

/** registries.yaml: per upstream host the site as endpoint, rewrites where the site names repositories differently. */
function k3sFiles(hosts: readonly MirrorHost[], site: MirrorSite): MirrorFile[] {
  const mirrors: Record<string, unknown> = {};
  for (const h of hosts) {
    const rewrite = rewritesOf(h);
    mirrors[h.host] = { endpoint: [origin(site)], ...(rewrite !== undefined ? { rewrite } : {}) };
  }
  const tls = {
    ...((site.caFiles ?? [])[0] !== undefined ? { ca_file: site.caFiles?.[0]?.path } : {}),
    ...(site.insecure === true ? { insecure_skip_verify: true } : {}),
  };
  const configs = Object.keys(tls).length > 0 ? { configs: { [site.registry]: { tls } } } : {};
  const text = dump({ mirrors, ...configs }, { lineWidth: -1, noRefs: true });
  return [{ path: "registries.yaml", content: `# ${HEADER} ${site.registry}\n${text}` }];
}

/**
 * One rewrite for a host served under one prefix; otherwise one anchored
 * rewrite per carried repository, so that no two patterns overlap (k3s
 * keeps rewrites in a map, with no order among them).
 */
function rewritesOf(h: MirrorHost): Record<string, string> | undefined {
  const only = h.rules.length === 1 ? h.rules[0] : undefined;
  if (only !== undefined && only.from === "")
    return only.to === "" ? undefined : { "^(.*)$": `${only.to}/$1` };
  const rewrite: Record<string, string> = {};
  for (const [upstream, atSite] of h.repositories) {
    if (upstream !== atSite) rewrite[`^${upstream.replace(/[.]/g, "\\.")}$`] = atSite;
  }
  return Object.keys(rewrite).length > 0 ? rewrite : undefined;
}
