/**
 * The filesystem an image's layers make, as one tar stream: layers are read
 * from the top down, the first entry for a path wins, and whiteouts hide
 * what lies below them (`.wh.NAME` deletes NAME, `.wh..wh..opq` empties its
 * directory of lower content). Only paths are remembered, never contents.
 */
import { posix } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Header, Pack } from "tar-stream";
import { drain, forEachEntry } from "./layer-stream.js";

const WHITEOUT = ".wh.";
const OPAQUE = ".wh..wh..opq";

/** The merge state across layers. */
export class LayerMerge {
  readonly #seen = new Set<string>();
  readonly #files = new Set<string>();
  readonly #deleted = new Set<string>();
  readonly #opaque = new Set<string>();

  /**
   * Writes one layer's surviving entries to `pack`. Call for the top layer
   * first; a layer's whiteouts apply to the layers below it only.
   */
  async addLayer(tar: Readable, pack: Pack, signal?: AbortSignal): Promise<void> {
    const deletes: string[] = [];
    const opaques: string[] = [];
    await forEachEntry(
      tar,
      async (header, body) => {
        const name = cleanName(header.name);
        const base = posix.basename(name);
        if (base === OPAQUE) opaques.push(posix.dirname(name));
        else if (base.startsWith(WHITEOUT))
          deletes.push(posix.join(posix.dirname(name), base.slice(WHITEOUT.length)));
        if (name === "" || base.startsWith(WHITEOUT) || this.#seen.has(name) || this.#hidden(name)) {
          return await drain(body);
        }
        this.#seen.add(name);
        if (header.type !== "directory") this.#files.add(name);
        await writeEntry(pack, { ...header, name: header.type === "directory" ? `${name}/` : name }, body);
      },
      signal,
    );
    for (const d of deletes) this.#deleted.add(d);
    for (const o of opaques) this.#opaque.add(o);
  }

  /** Deleted, under a deleted or opaque directory, or under a path an upper layer made a file. */
  #hidden(name: string): boolean {
    if (this.#deleted.has(name)) return true;
    for (let dir = posix.dirname(name); dir !== "." && dir !== "/"; dir = posix.dirname(dir)) {
      if (this.#deleted.has(dir) || this.#opaque.has(dir) || this.#files.has(dir)) return true;
    }
    return false;
  }
}

/** "./a/b/" → "a/b". */
export function cleanName(raw: string): string {
  const name = posix.normalize(raw.replace(/^\.?\/+/, "")).replace(/\/+$/, "");
  return name === "." ? "" : name;
}

async function writeEntry(pack: Pack, header: Header, body: Readable): Promise<void> {
  if (header.type === "file" || header.type === "contiguous-file" || header.type === undefined) {
    await pipeline(body, pack.entry(header));
    return;
  }
  await new Promise<void>((resolve, reject) => pack.entry(header, (err) => (err ? reject(err) : resolve())));
  await drain(body);
}
