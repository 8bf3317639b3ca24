/** A multi-layer test image with replaced, deleted and emptied paths, and a file-tree reader to compare unpacked images. */
import { lstat, readFile, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import { buildImage, buildLayer, type BuiltImage } from "./image-builder.js";

/** A base, then a layer that replaces, deletes and empties, then one that re-adds. */
export async function buildWhiteoutImage(): Promise<BuiltImage> {
  const base = await buildLayer([
    { path: "bin/" },
    { path: "bin/sh", content: "sh 1\n", mode: 0o755 },
    { path: "etc/" },
    { path: "etc/keep", content: "keep\n" },
    { path: "etc/removed", content: "gone\n" },
    { path: "etc/replaced", content: "old\n" },
    { path: "var/" },
    { path: "var/cache/" },
    { path: "var/cache/a", content: "a\n" },
    { path: "var/cache/sub/" },
    { path: "var/cache/sub/b", content: "b\n" },
    { path: "olddir/" },
    { path: "olddir/x", content: "x\n" },
    { path: "tobefile/" },
    { path: "tobefile/y", content: "y\n" },
  ]);
  const changes = await buildLayer([
    { path: "etc/" },
    { path: "etc/replaced", content: "new\n", mode: 0o600 },
    { path: "etc/.wh.removed" },
    { path: "var/cache/" },
    { path: "var/cache/.wh..wh..opq" },
    { path: "var/cache/c", content: "c\n" },
    { path: ".wh.olddir" },
    { path: "tobefile", content: "now a file\n" },
    { path: "newdir/" },
    { path: "newdir/z", content: "z\n" },
  ]);
  const top = await buildLayer([
    { path: "bin/sh", content: "sh 3\n", mode: 0o755 },
    { path: "etc/removed", content: "back again\n" },
  ]);
  return buildImage("oci", { os: "linux", architecture: "amd64" }, [base, changes, top]);
}

export /** path → "dir 755" | "file 644 <content>" | "link -> target", for every entry under `root`. */
async function tree(root: string, prefix = ""): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of (await readdir(join(root, prefix))).sort()) {
    const rel = prefix === "" ? name : `${prefix}/${name}`;
    const info = await lstat(join(root, rel));
    const mode = (info.mode & 0o7777).toString(8);
    if (info.isDirectory()) {
      out.set(rel, `dir ${mode}`);
      for (const [k, v] of await tree(root, rel)) out.set(k, v);
    } else if (info.isSymbolicLink()) {
      out.set(rel, `link -> ${await readlink(join(root, rel))}`);
    } else {
      out.set(rel, `file ${mode} ${(await readFile(join(root, rel))).toString()}`);
    }
  }
  return out;
}
