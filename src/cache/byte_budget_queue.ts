/**
 * @module A FIFO queue bounded by bytes: the hand-off between a response and its cache writer.
 *
 * `offer` is synchronous and never waits, so the HTTP side is never slowed by the cache; when
 * the writer falls behind by more than the budget, `offer` says no and the writer gives up.
 */

/** FIFO of items with a byte budget and one asynchronous consumer. */
export class ByteBudgetQueue<T> {
  readonly #maxBytes: number;
  readonly #sizeOf: (item: T) => number;
  #items: (T | undefined)[] = [];
  #head = 0;
  #bytes = 0;
  #closed = false;
  #wake: (() => void) | null = null;

  constructor(maxBytes: number, sizeOf: (item: T) => number) {
    this.#maxBytes = maxBytes;
    this.#sizeOf = sizeOf;
  }

  /** Bytes queued and not yet taken. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Queues an item; false (and nothing queued) when it would exceed the budget or after close. */
  offer(item: T): boolean {
    const size = this.#sizeOf(item);
    if (this.#closed || this.#bytes + size > this.#maxBytes) return false;
    this.#items.push(item);
    this.#bytes += size;
    this.#signal();
    return true;
  }

  /** No more items: `take` answers null once the queue is drained. */
  close(): void {
    this.#closed = true;
    this.#signal();
  }

  /** Drops every queued item, closes, and wakes the consumer. */
  clear(): void {
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
    this.close();
  }

  /** The next item, waiting for one; null when closed and drained. */
  async take(): Promise<T | null> {
    while (true) {
      if (this.#head < this.#items.length) {
        const item = this.#items[this.#head]!;
        this.#items[this.#head++] = undefined;
        // Drop the consumed front now and then, so memory follows what is still queued.
        if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
          this.#items = this.#items.slice(this.#head);
          this.#head = 0;
        }
        this.#bytes -= this.#sizeOf(item);
        return item;
      }
      if (this.#closed) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}
