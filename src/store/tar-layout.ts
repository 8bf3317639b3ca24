/**
 * Where every byte of a tar airlock writes goes, computed from the entries'
 * names and sizes before a byte is written: each entry's 512-byte ustar
 * header (fixed mode, owner and time, so the same entries give the same
 * bytes), where its header and data start, and the archive's size. With
 * the layout known up front, entries can be written in any order at their
 * offsets.
 */
import { AirlockError } from "../errors.js";

export const TAR_BLOCK = 512;
/** The end-of-archive marker: two zero blocks. */
export const TAR_END_BYTES = 2 * TAR_BLOCK;

const FILE_MODE = 0o644;
const DIR_MODE = 0o755;

export type TarEntryType = "file" | "directory";

/** What a tar entry is, before it has a place. */
export interface TarEntrySpec {
  name: string;
  /** Data bytes (0 for a directory). */
  size: number;
  type?: TarEntryType;
}

/** An entry with its place in the archive. */
export interface TarSlot {
  readonly name: string;
  readonly size: number;
  readonly type: TarEntryType;
  /** The 512-byte ustar header. */
  readonly header: Buffer;
  readonly headerOffset: number;
  /** Where the entry's data starts (headerOffset + 512). */
  readonly dataOffset: number;
  /** Just past the data padded to whole blocks: where the next header starts. */
  readonly end: number;
}

/** Bytes one entry takes: its header block and its data padded to blocks. */
export function tarEntryBytes(size: number): number {
  return TAR_BLOCK + Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
}

/** Bytes a tar of entries of these sizes takes, end-of-archive blocks included. */
export function tarSize(entrySizes: readonly number[]): number {
  return entrySizes.reduce((n, size) => n + tarEntryBytes(size), 0) + TAR_END_BYTES;
}

/** The entries of one archive in order, each at its offset; grows by `add` (an archive written as it goes). */
export class TarLayout {
  readonly #slots: TarSlot[] = [];
  readonly #byName = new Map<string, TarSlot>();
  #end = 0;

  /** The layout of exactly these entries, in this order. @throws AirlockError as `add` does. */
  static of(entries: readonly TarEntrySpec[]): TarLayout {
    const layout = new TarLayout();
    for (const entry of entries) layout.add(entry);
    return layout;
  }

  /**
   * Places an entry after the last one.
   * @throws AirlockError ERR_UNSUPPORTED when the name does not fit a ustar
   * header; ERR_USAGE when it is already in the archive or the size is not a whole number.
   */
  add(entry: TarEntrySpec): TarSlot {
    const type = entry.type ?? "file";
    const size = type === "directory" ? 0 : entry.size;
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new AirlockError("ERR_USAGE", `tar entry ${entry.name}: ${entry.size} is not a size`);
    }
    if (this.#byName.has(entry.name)) {
      throw new AirlockError("ERR_USAGE", `tar entry ${entry.name} is already in the archive`);
    }
    const headerOffset = this.#end;
    const slot: TarSlot = {
      name: entry.name,
      size,
      type,
      header: tarHeader({ name: entry.name, size, type }),
      headerOffset,
      dataOffset: headerOffset + TAR_BLOCK,
      end: headerOffset + tarEntryBytes(size),
    };
    this.#slots.push(slot);
    this.#byName.set(slot.name, slot);
    this.#end = slot.end;
    return slot;
  }

  get slots(): readonly TarSlot[] {
    return this.#slots;
  }

  /** The entry named `name`, if the archive has one. */
  slot(name: string): TarSlot | undefined {
    return this.#byName.get(name);
  }

  /** Where the end-of-archive marker starts. */
  get entriesEnd(): number {
    return this.#end;
  }

  /** Bytes of the whole archive, end-of-archive marker included. */
  get size(): number {
    return this.#end + TAR_END_BYTES;
  }
}

/**
 * The ustar header of an entry, byte for byte what tar-stream's pack writes
 * for `{ name, size, type, mode: 0644|0755, mtime: 0, uid: 0, gid: 0 }`: a
 * name over 100 bytes is split at a "/" into the prefix field; a size of
 * 8 GiB or more is written in base-256.
 * @throws AirlockError ERR_UNSUPPORTED when the name is not ASCII or does not fit.
 */
export function tarHeader(entry: Required<TarEntrySpec>): Buffer {
  const [prefix, name] = splitName(entry.name);
  const header = Buffer.alloc(TAR_BLOCK);
  header.write(name, 0, "ascii");
  header.write(octal(entry.type === "directory" ? DIR_MODE : FILE_MODE, 6), 100, "ascii");
  header.write(octal(0, 6), 108, "ascii");
  header.write(octal(0, 6), 116, "ascii");
  writeSize(header, entry.size);
  header.write(octal(0, 11), 136, "ascii");
  header.write(entry.type === "directory" ? "5" : "0", 156, "ascii");
  header.write("ustar\u000000", 257, "ascii");
  header.write(octal(0, 6), 329, "ascii");
  header.write(octal(0, 6), 337, "ascii");
  header.write(prefix, 345, "ascii");
  header.write(octal(checksum(header), 6), 148, "ascii");
  return header;
}

/** [prefix, name]: a long name moves its leading directories into the prefix field. */
function splitName(full: string): [string, string] {
  // eslint-disable-next-line no-control-regex -- NUL and non-ASCII are what is refused
  if (!/^[\u0001-\u007f]+$/.test(full)) throw unfit(full);
  let name = full;
  let prefix = "";
  while (name.length > 100) {
    const slash = name.indexOf("/");
    if (slash === -1) throw unfit(full);
    prefix += (prefix === "" ? "" : "/") + name.slice(0, slash);
    name = name.slice(slash + 1);
  }
  if (prefix.length > 155) throw unfit(full);
  return [prefix, name];
}

function unfit(name: string): AirlockError {
  return new AirlockError(
    "ERR_UNSUPPORTED",
    `tar entry name ${JSON.stringify(name)} does not fit a ustar header`,
  );
}

/** `digits` octal digits and a space, as tar writes numbers. */
function octal(value: number, digits: number): string {
  return value.toString(8).padStart(digits, "0") + " ";
}

/** The size field: octal up to 11 digits, base-256 (0x80 and 11 bytes, big-endian) beyond. */
function writeSize(header: Buffer, size: number): void {
  if (size.toString(8).length <= 11) {
    header.write(octal(size, 11), 124, "ascii");
    return;
  }
  header[124] = 0x80;
  let rest = size;
  for (let i = 135; i > 124; i--) {
    header[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
}

/** The header's checksum: every byte summed, the checksum field counted as eight spaces. */
function checksum(header: Buffer): number {
  let sum = 8 * 0x20;
  for (let i = 0; i < TAR_BLOCK; i++) if (i < 148 || i >= 156) sum += header[i] ?? 0;
  return sum;
}
