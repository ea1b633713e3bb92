/**
 * @module `readAhead()`: keeps an async iterator's next items coming while the consumer works
 * on the current ones, so a Deno KV list's next batch is read on KV's thread while the offline
 * list body is being written, instead of after it.
 */

/**
 * Wraps `source`, reading ahead up to `maxBytes` of items (as `sizeOf` counts them, and at
 * least one item). Errors of the source surface at the consumer's `next()` in order; `return()`
 * stops the reading and returns the source.
 */
export function readAhead<T>(
  source: AsyncIterator<T>,
  sizeOf: (item: T) => number,
  maxBytes: number,
): AsyncIterator<T> {
  const buffer: T[] = [];
  let buffered = 0;
  let done = false;
  let failure: { error: unknown } | null = null;
  let stopped = false;
  let wake: (() => void) | null = null; // the consumer waiting for an item
  let resume: (() => void) | null = null; // the producer waiting for room
  const signal = () => {
    wake?.();
    wake = null;
  };
  const producing = (async () => {
    try {
      while (!stopped) {
        if (buffered >= maxBytes && buffer.length > 0) {
          await new Promise<void>((r) => resume = r);
          continue;
        }
        const r = await source.next();
        if (r.done) break;
        buffer.push(r.value);
        buffered += sizeOf(r.value);
        signal();
      }
    } catch (error) {
      failure = { error };
    } finally {
      done = true;
      signal();
    }
  })();
  return {
    async next(): Promise<IteratorResult<T>> {
      for (;;) {
        if (buffer.length > 0) {
          const value = buffer.shift()!;
          buffered -= sizeOf(value);
          resume?.();
          resume = null;
          return { value, done: false };
        }
        if (failure) throw failure.error;
        if (done) return { value: undefined, done: true };
        await new Promise<void>((r) => wake = r);
      }
    },
    async return(): Promise<IteratorResult<T>> {
      stopped = true;
      resume?.();
      await producing;
      await source.return?.();
      buffer.length = 0;
      return { value: undefined, done: true };
    },
  };
}
