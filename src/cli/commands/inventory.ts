import { AirlockError } from "../../errors.js";
import { formatBytes } from "../../plan/diff-format.js";
import { flag, stringValue, type Command } from "../command.js";
import { count } from "../counts.js";
import { writeJson } from "../output.js";
import { parseConcurrency } from "../parse.js";
import { createProgress, showing } from "../progress.js";

export const inventoryCommand: Command = {
  name: "inventory",
  summary: "record what a registry inside the gap holds (tags, manifests, blobs) for the next delta",
  usage: "--registry REGISTRY[/PREFIX] [-f LIST | --lock LOCK] -o inventory.json",
  help: `Walks the registry inside the site and writes what it holds as digests, not blobs: per
repository the tags with their digests, the manifests they reach, every config and layer
present (each confirmed with HEAD) and the referrers with their subjects. With an image list or
a lock, only the repositories their images are pushed to (named as push-bundle names them);
else every repository of the catalog under PREFIX. The same registry gives the same file.
Carry it out and make the next bundle with create-bundle --since inventory.json.
  --registry REGISTRY[/PREFIX]  the registry to inventory (required)
  -f, --file LIST               only the repositories of this image list's images
  --lock LOCK                   only the repositories of this lock's images
  --keep-host                   name them with the source host kept (as push-bundle --keep-host)
  --mapping FILE                name them by these {from, to} rules (as push-bundle --mapping)
  -o, --output FILE             where to write the inventory (required)
  --journal FILE                a push journal that seeds the blobs looked for (default: push-bundle's
                                for this target, when it exists); each is still confirmed with HEAD
  --concurrency N               requests in flight (default 8)
  --json                        a JSON summary on stdout`,
  options: {
    registry: { type: "string" },
    file: { type: "string", short: "f" },
    lock: { type: "string" },
    "keep-host": { type: "boolean" },
    mapping: { type: "string" },
    output: { type: "string", short: "o" },
    journal: { type: "string" },
    concurrency: { type: "string" },
  },
  registryRefs: { flags: ["registry"] },
  args: [0, 0],
  async run({ values, remote, io, say, log, json }) {
    const registry = stringValue(values, "registry");
    if (registry === undefined) {
      throw new AirlockError("ERR_USAGE", "inventory needs --registry REGISTRY[/PREFIX]");
    }
    const output = stringValue(values, "output");
    if (output === undefined)
      throw new AirlockError("ERR_USAGE", "inventory needs -o FILE (e.g. -o inventory.json)");
    const { takeInventory } = await import("../../verbs/inventory.js");
    const progress = await createProgress(io.stderr, {
      enabled: !flag(values, "quiet"),
      say,
      unit: "repositories",
    });
    const result = await showing(progress, () =>
      takeInventory({
        ...remote,
        registry,
        file: stringValue(values, "file"),
        lockFile: stringValue(values, "lock"),
        keepHost: flag(values, "keep-host"),
        mappingFile: stringValue(values, "mapping"),
        output,
        journalFile: stringValue(values, "journal"),
        concurrency: parseConcurrency(stringValue(values, "concurrency")),
        onEvent: (e) => progress.update("inventory", e.done, e.total),
      }),
    );
    const t = result.inventory.totals;
    if (json) await writeJson(io.stdout, { file: result.file, totals: t, absent: result.absent });
    if (result.absent.length > 0) {
      log.warn(`not in the registry (nothing recorded for them): ${result.absent.join(", ")}`);
    }
    say(
      `wrote ${output}: ${t.repositories === 1 ? "1 repository" : `${t.repositories} repositories`}, ${count(t.tags, "tag")}, ${count(t.manifests, "manifest")}, ${count(t.blobs, "blob")} (${formatBytes(t.bytes)})`,
    );
  },
};
