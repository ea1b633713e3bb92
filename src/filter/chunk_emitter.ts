/**
 * @module Output coalescing for the filter streams: byte ranges queued while one input chunk is
 * processed go out as one output chunk, and adjacent ranges of the same buffer merge for free.
 */

/**
 * Collects ranges and enqueues them on {@linkcode flush}. Kept items that sit next to each
 * other in the input merge into one range, so a chunk with nothing dropped is enqueued as a
 * subarray of the input with no copy; otherwise the pieces are copied into one chunk, which
 * downstream writes once instead of once per item.
 */
export class ChunkEmitter {
  #bufs: Uint8Array[] = [];
  #starts: number[] = [];
  #ends: number[] = [];
  #bytes = 0;

  /** Queues `buf[start, end)`. The buffer must not change until flushed. */
  push(buf: Uint8Array, start = 0, end: number = buf.length): void {
    if (end <= start) return;
    const k = this.#bufs.length - 1;
    if (k >= 0 && this.#bufs[k] === buf && this.#ends[k] === start) this.#ends[k] = end;
    else {
      this.#bufs.push(buf);
      this.#starts.push(start);
      this.#ends.push(end);
    }
    this.#bytes += end - start;
  }

  /** Bytes queued and not yet flushed. */
  get size(): number {
    return this.#bytes;
  }

  /** Enqueues everything queued as one chunk. */
  flush(controller: TransformStreamDefaultController<Uint8Array>): void {
    const n = this.#bufs.length;
    if (n === 0) return;
    const bufs = this.#bufs, starts = this.#starts, ends = this.#ends;
    if (n === 1) {
      const b = bufs[0];
      controller.enqueue(
        starts[0] === 0 && ends[0] === b.length ? b : b.subarray(starts[0], ends[0]),
      );
    } else {
      const out = new Uint8Array(this.#bytes);
      let o = 0;
      for (let k = 0; k < n; k++) {
        out.set(bufs[k].subarray(starts[k], ends[k]), o);
        o += ends[k] - starts[k];
      }
      controller.enqueue(out);
    }
    this.#bufs = [];
    this.#starts = [];
    this.#ends = [];
    this.#bytes = 0;
  }
}
