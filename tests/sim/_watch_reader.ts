/**
 * @module Test helper: reads a watch response line by line, each read bounded by a timeout.
 */

/** A parsed watch event. */
export interface WatchEvent {
  type: string;
  // deno-lint-ignore no-explicit-any
  object: any;
}

/** Reads newline-delimited JSON events from a response body. */
export class WatchReader {
  #reader: ReadableStreamDefaultReader<string>;
  #buf = "";
  #done = false;

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** The next event, or null at end of stream; throws when none arrives within `timeoutMs`. */
  async next(timeoutMs = 2000): Promise<WatchEvent | null> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 10_000; i++) {
      const nl = this.#buf.indexOf("\n");
      if (nl >= 0) {
        const line = this.#buf.slice(0, nl);
        this.#buf = this.#buf.slice(nl + 1);
        return JSON.parse(line);
      }
      if (this.#done) {
        if (this.#buf.trim() !== "") throw new Error(`Unterminated event "${this.#buf}"`);
        return null;
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`No watch event within ${timeoutMs} ms`)),
          Math.max(0, deadline - Date.now()),
        );
      });
      try {
        const r = await Promise.race([this.#reader.read(), timeout]);
        if (r.done) this.#done = true;
        else this.#buf += r.value;
      } finally {
        clearTimeout(timer);
      }
    }
    throw new Error("Too many reads without an event");
  }

  /** Reads `n` events. */
  async take(n: number, timeoutMs = 2000): Promise<WatchEvent[]> {
    const out: WatchEvent[] = [];
    for (let i = 0; i < n; i++) {
      const e = await this.next(timeoutMs);
      if (!e) throw new Error(`Stream ended after ${i} of ${n} events`);
      out.push(e);
    }
    return out;
  }

  /** Cancels the stream (a client disconnect). */
  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }
}
