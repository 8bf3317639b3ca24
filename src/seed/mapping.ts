import { readFile } from "node:fs/promises";
import { AirlockError, messageOf } from "../errors.js";
import { formatRepository, parseReference } from "../ref/reference.js";

/** One rule of a mapping file: source repositories under `from` go under `to` in the target. */
export interface MappingRule {
  from: string;
  to: string;
}

const PATH = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

/**
 * Reads a mapping file:
 *
 *     mappings:
 *       - from: docker.io/library        # a source repository or a prefix of one (host included)
 *         to: mirror/dockerhub           # the target repository path it becomes
 *
 * The longest matching `from` wins; references no rule matches use the default naming.
 * The YAML parser is loaded here, so that push-bundle and serve without a
 * mapping file never load it.
 */
export async function loadMapping(file: string): Promise<MappingRule[]> {
  const { load } = await import("js-yaml");
  let value: unknown;
  try {
    value = load(await readFile(file, "utf8"), { filename: file });
  } catch (err) {
    throw new AirlockError(
      "ERR_FILE",
      `cannot read mapping file ${file}: ${messageOf(err).split("\n")[0] ?? ""}`,
    );
  }
  const rules = (value as { mappings?: unknown } | null)?.mappings;
  if (!Array.isArray(rules))
    throw new AirlockError("ERR_USAGE", `${file}: expected "mappings:" with a list of {from, to}`);
  return rules.map((r: unknown, i) => {
    const { from, to } = (r ?? {}) as { from?: unknown; to?: unknown };
    if (typeof from !== "string" || typeof to !== "string" || !PATH.test(to)) {
      throw new AirlockError(
        "ERR_USAGE",
        `${file}: mappings[${i}] needs "from" (a source repository) and "to" (a lowercase repository path)`,
      );
    }
    return { from: from.replace(/\/+$/, ""), to };
  });
}

/** The target repository for a source reference under the rules, or undefined when none applies. */
export function mapRepository(reference: string, rules: readonly MappingRule[]): string | undefined {
  const source = formatRepository(parseReference(reference));
  const matches = rules.filter((r) => source === r.from || source.startsWith(`${r.from}/`));
  const best = matches.sort((a, b) => b.from.length - a.from.length)[0];
  return best === undefined ? undefined : best.to + source.slice(best.from.length);
}
