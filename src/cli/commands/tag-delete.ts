import type { Command } from "../command.js";
import { writeJson, writeLines } from "../output.js";

export const tagCommand: Command = {
  name: "tag",
  registryRefs: { args: [0] },
  summary: "give a remote image another tag, without pulling it (crane tag)",
  usage: "REF NEWTAG",
  help: `Tags the manifest REF names as NEWTAG in the same repository: the manifest bytes are
PUT unchanged, so the digest stays and no blob moves. Prints the new reference.`,
  options: {},
  args: [2, 2],
  async run({ positionals, remote, io, json }) {
    const { tagImage } = await import("../../verbs/tag-delete.js");
    const result = await tagImage(positionals[0] ?? "", positionals[1] ?? "", remote);
    if (json) await writeJson(io.stdout, result);
    else await writeLines(io.stdout, [`${result.reference}@${result.digest}`]);
  },
};

export const deleteCommand: Command = {
  name: "delete",
  registryRefs: { args: [0] },
  summary: "delete a manifest from a registry (a tag is resolved to its digest first)",
  usage: "REF",
  help: `Deletes the manifest REF names. Registries delete by digest, so a tag is resolved to
its digest first; every tag pointing at that manifest goes with it, and the blobs stay
until the registry's garbage collection. A registry with deletion turned off (registry:2
without storage.delete.enabled) answers 405: airlock says so. Prints the reference deleted.`,
  options: {},
  args: [1, 1],
  async run({ positionals, remote, io, json }) {
    const { deleteImage } = await import("../../verbs/tag-delete.js");
    const result = await deleteImage(positionals[0] ?? "", remote);
    await (json ? writeJson(io.stdout, result) : writeLines(io.stdout, [result.reference]));
  },
};
