/**
 * Which format a list is in, from its name and content: `.txt` or lines of
 * single references → text; a mapping keyed by registry hosts → skopeo sync
 * or mindthegap; anything else → airlock.yaml (whose schema then explains).
 */

import path from "node:path";
import { isRecord } from "./context.js";
import type { HostKeyedFormat } from "./foreign-schemas.js";
import type { InputFormat } from "./types.js";

const SKOPEO_ONLY = ["tls-verify", "cert-dir", "images-by-tag-regex", "images-by-semver"];

/** True for a `.txt` file, or text whose every non-comment line is one token that YAML would not see as structure. */
export function looksLikeTextList(file: string, text: string): boolean {
  if (path.extname(file).toLowerCase() === ".txt") return true;
  const lines = text
    .split("\n")
    .map((l) => l.replace(/(^|\s)#.*$/, "").trim())
    .filter((l) => l !== "");
  return lines.length > 0 && lines.every((l) => /^[^\s\-[{"'!&*%@`|>?][^\s]*$/.test(l) && !l.endsWith(":"));
}

/** The format of a parsed YAML document. */
export function detectYamlFormat(file: string, value: unknown): Exclude<InputFormat, "text"> {
  if (!isRecord(value)) return "airlock";
  const keys = Object.keys(value);
  if (keys.length === 0 || !keys.every(looksLikeHost)) return "airlock";
  return detectHostKeyed(file, Object.values(value).filter(isRecord));
}

/** Registry hosts have a dot or a port, or are localhost; airlock.yaml's keys (and their typos) have neither. */
function looksLikeHost(key: string): boolean {
  return key.includes(".") || key.includes(":") || key === "localhost";
}

function detectHostKeyed(file: string, configs: Record<string, unknown>[]): HostKeyedFormat {
  if (configs.some((c) => "tlsVerify" in c)) return "mindthegap";
  if (configs.some((c) => SKOPEO_ONLY.some((k) => k in c))) return "skopeo-sync";
  const emptyList = configs.some(
    (c) => isRecord(c.images) && Object.values(c.images).some((v) => Array.isArray(v) && v.length === 0),
  );
  if (emptyList) return "skopeo-sync";
  return /^images\.ya?ml$/i.test(path.basename(file)) ? "mindthegap" : "skopeo-sync";
}
