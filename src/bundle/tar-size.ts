const BLOCK = 512;

/** Bytes a ustar archive takes for entries of these sizes: a header block each, data padded to blocks, two end blocks. */
export function tarSize(entrySizes: readonly number[]): number {
  return entrySizes.reduce((n, size) => n + BLOCK + Math.ceil(size / BLOCK) * BLOCK, 0) + 2 * BLOCK;
}
