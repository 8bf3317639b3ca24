import { readFile } from "node:fs/promises";
import { AirlockError, messageOf } from "../errors.js";
import { findPathProblem } from "../ref/grammar.js";
import type { MappingRule } from "../ref/target-name.js";

export type { MappingRule } from "../ref/target-name.js";

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
    if (typeof from !== "string" || typeof to !== "string" || findPathProblem(to) !== undefined) {
      throw new AirlockError(
        "ERR_USAGE",
        `${file}: mappings[${i}] needs "from" (a source repository) and "to" (a lowercase repository path)`,
      );
    }
    return { from: from.replace(/\/+$/, ""), to };
  });
}
