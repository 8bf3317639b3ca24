interface Waiter {
  priority: number;
  start: () => void;
}

/**
 * At most `limit` tasks run at once; the rest wait their turn, the highest
 * priority first and in arrival order among equals.
 */
export class Limiter {
  readonly #limit: number;
  #active = 0;
  readonly #waiting: Waiter[] = [];

  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }

  async run<T>(task: () => Promise<T>, priority = 0): Promise<T> {
    if (this.#active >= this.#limit) {
      await new Promise<void>((start) => {
        const at = this.#waiting.findIndex((w) => w.priority < priority);
        this.#waiting.splice(at < 0 ? this.#waiting.length : at, 0, { priority, start });
      });
    }
    this.#active++;
    try {
      return await task();
    } finally {
      this.#active--;
      this.#waiting.shift()?.start();
    }
  }
}
