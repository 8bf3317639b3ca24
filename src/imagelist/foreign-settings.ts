/**
 * Per-registry settings of skopeo sync and mindthegap lists → RegistrySettings.
 * Inline credentials are accepted for compatibility but never kept.
 */

import path from "node:path";
import { isRecord, type ReadContext } from "./context.js";
import type { HostKeyedFormat } from "./foreign-schemas.js";
import type { Path } from "./paths.js";
import type { RegistrySettings } from "./types.js";

/** TLS settings of one host; warns about (and drops) inline credentials. */
export function readForeignSettings(
  config: Record<string, unknown>,
  at: Path,
  host: string,
  format: HostKeyedFormat,
  ctx: ReadContext,
): RegistrySettings {
  const out: RegistrySettings = {};
  const tlsVerify = format === "skopeo-sync" ? config["tls-verify"] : config.tlsVerify;
  if (tlsVerify === false) out.insecure = true;
  const certDir = config["cert-dir"];
  if (format === "skopeo-sync" && typeof certDir === "string" && certDir !== "") {
    const caFile = readCertDir(path.resolve(ctx.dir, certDir), [...at, "cert-dir"], ctx);
    if (caFile !== undefined) out.caFile = caFile;
  }
  if (isRecord(config.credentials) && Object.keys(config.credentials).length > 0) {
    ctx.reporter.warning(
      [...at, "credentials"],
      "inline credentials are ignored: airlock never reads secrets from an image list; " +
        `name environment variables in an airlock.yaml (registries[${JSON.stringify(host)}].credentials.usernameEnv/passwordEnv), ` +
        "point authFile at a docker config.json, or run `airlock login`",
      "key",
    );
  }
  return out;
}

/**
 * skopeo's cert-dir holds `*.crt` CA files (and `*.cert`/`*.key` client
 * pairs, which airlock does not use): exactly one CA file becomes caFile.
 */
function readCertDir(dir: string, at: Path, ctx: ReadContext): string | undefined {
  const names = ctx.listDir?.(dir);
  if (names === undefined) {
    ctx.reporter.problem(at, `cannot read the directory ${dir}`);
    return undefined;
  }
  const cas = names.filter((n) => n.endsWith(".crt")).sort();
  if (names.some((n) => n.endsWith(".cert") || n.endsWith(".key"))) {
    ctx.reporter.warning(at, "client certificates (*.cert, *.key) are not supported and are ignored");
  }
  const only = cas[0];
  if (cas.length === 1 && only !== undefined) return path.join(dir, only);
  const found = cas.length === 0 ? "none" : cas.join(", ");
  ctx.reporter.problem(
    at,
    `must hold exactly one CA certificate (*.crt) to use as caFile; found ${found} in ${dir}. ` +
      "Otherwise write an airlock.yaml with registries.<host>.caFile",
  );
  return undefined;
}
