/** Platform lists of an image list: "all" or os/arch[/variant] names Go (and so OCI) knows. */

import { formatPlatform, parsePlatform } from "../oci/platform.js";
import type { Path } from "./paths.js";
import type { Reporter } from "./problems.js";
import { closest } from "../util/suggest.js";

/** mindthegap's default, and airlock's, when a list names no platforms. */
export const DEFAULT_PLATFORMS: readonly string[] = ["linux/amd64"];

/** GOOS values. */
const KNOWN_OS = [
  "linux", "windows", "darwin", "freebsd", "netbsd", "openbsd", "dragonfly", "illumos", "solaris",
  "aix", "android", "ios", "plan9", "js", "wasip1", "hurd", "zos",
]; // prettier-ignore

/** GOARCH values, after airlock's aliases (aarch64 → arm64, x86_64 → amd64, …). */
const KNOWN_ARCH = [
  "amd64", "arm64", "arm", "386", "ppc64le", "ppc64", "s390x", "riscv64", "loong64", "mips",
  "mipsle", "mips64", "mips64le", "wasm", "sparc64", "ppc", "riscv", "s390",
]; // prettier-ignore

const FORM = "os/arch[/variant], e.g. linux/arm64";

/**
 * Checks and normalises a `platforms` value: "all", or the list normalised,
 * sorted and deduplicated. undefined when absent or when anything in it is
 * wrong (each bad item is reported; a wrong type was reported by the schema).
 */
export function normalizePlatforms(
  value: unknown,
  path: Path,
  reporter: Reporter,
): string[] | "all" | undefined {
  if (value === "all") return "all";
  if (!Array.isArray(value)) return undefined;
  const out = new Set<string>();
  let ok = true;
  value.forEach((item, i) => {
    if (typeof item !== "string") return void (ok = false);
    const problem = platformProblem(item);
    if (problem === undefined) out.add(formatPlatform(parsePlatform(item)));
    else {
      reporter.problem([...path, i], problem);
      ok = false;
    }
  });
  return ok && out.size > 0 ? [...out].sort() : undefined;
}

/** What is wrong with a platform string, or undefined when it is a platform. */
export function platformProblem(text: string): string | undefined {
  let os: string;
  let arch: string;
  try {
    const p = parsePlatform(text);
    os = p.os;
    arch = p.architecture;
  } catch {
    return `${JSON.stringify(text)} is not a platform (${FORM})`;
  }
  if (KNOWN_OS.includes(os) && KNOWN_ARCH.includes(arch)) return undefined;
  const nearOs = KNOWN_OS.includes(os) ? os : suggest(os, KNOWN_OS);
  const nearArch = KNOWN_ARCH.includes(arch) ? arch : suggest(arch, KNOWN_ARCH);
  const hint =
    nearOs !== undefined && nearArch !== undefined
      ? `; did you mean ${JSON.stringify(`${nearOs}/${nearArch}`)}?`
      : "";
  return `${JSON.stringify(text)} is not a platform (${FORM})${hint}`;
}

function suggest(word: string, known: readonly string[]): string | undefined {
  return closest(word, known) ?? known.find((k) => k.startsWith(word) && word.length >= 2);
}
