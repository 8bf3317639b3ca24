/**
 * Bytes done of a set of blobs, each blob counted once however it gets
 * there: its bytes as they stream, then its whole size once it is present
 * (written, mounted, or found already there). An attempt that starts again
 * from the first byte takes back what it had counted, so a retry never
 * counts twice, and a blob present twice (mounted into a second repository)
 * counts once: done reaches total exactly when every blob is present.
 */
export class BlobTally {
  #done = 0;
  #total: number;
  readonly #streamed = new Map<string, number>();
  readonly #present = new Set<string>();
  readonly #onChange: (done: number, total: number) => void;

  constructor(total: number, onChange: (done: number, total: number) => void = () => undefined) {
    this.#total = total;
    this.#onChange = onChange;
  }

  get done(): number {
    return this.#done;
  }

  get total(): number {
    return this.#total;
  }

  /** `n` more bytes of blob `key` went by; negative when an attempt went back. */
  streamed(key: string, n: number): void {
    if (n === 0 || this.#present.has(key)) return;
    this.#streamed.set(key, (this.#streamed.get(key) ?? 0) + n);
    this.#add(n);
  }

  /** Blob `key` starts again from its first byte: what it streamed so far no longer counts. */
  restart(key: string): void {
    this.streamed(key, -(this.#streamed.get(key) ?? 0));
  }

  /** Blob `key` (`size` bytes) is present; counted in full, once. */
  present(key: string, size: number): void {
    if (this.#present.has(key)) return;
    this.#present.add(key);
    const streamed = this.#streamed.get(key) ?? 0;
    this.#streamed.delete(key);
    this.#add(size - streamed);
  }

  /** More blobs join the set (a sync learns its images' sizes one by one). */
  grow(bytes: number): void {
    this.#total += bytes;
    this.#onChange(this.#done, this.#total);
  }

  #add(n: number): void {
    this.#done += n;
    this.#onChange(this.#done, this.#total);
  }
}
