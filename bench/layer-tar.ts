// The tar framing of a bench layer, written by hand so that the layer writer decides, file by
// file, how hard gzip works: a POSIX ustar header per entry (mode 0644/0755, owner 0, mtime 0),
// data padded to 512-byte blocks, two zero blocks at the end. GNU tar and every image tool read it.

export const BLOCK = 512;

/** The 512-byte ustar header of a file or a directory (a name ending in "/"). */
export function ustarHeader(name: string, size: number): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar name longer than 100 bytes: ${name}`);
  const isDir = name.endsWith("/");
  const header = Buffer.alloc(BLOCK);
  header.write(name, 0, 100, "utf8");
  header.write(octal(isDir ? 0o755 : 0o644, 8), 100);
  header.write(octal(0, 8), 108);
  header.write(octal(0, 8), 116);
  header.write(octal(isDir ? 0 : size, 12), 124);
  header.write(octal(0, 12), 136);
  header.write(" ".repeat(8), 148);
  header.write(isDir ? "5" : "0", 156);
  header.write("ustar\u000000", 257, "latin1");
  header.write(octal(0, 8), 329);
  header.write(octal(0, 8), 337);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, "0")}\u0000 `, 148, "latin1");
  return header;
}

/** Zero bytes that pad `size` bytes of data to whole blocks. */
export function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** The end-of-archive marker. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

/** A NUL-terminated octal field of `width` bytes. */
function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\u0000`;
}
