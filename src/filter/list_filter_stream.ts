/**
 * @module `ListFilterStream`: drops the items of a Kubernetes list body as it streams, sending
 * every kept item byte for byte and holding in memory only the item being read.
 */

import { ByteItemView, rowObjectView } from "./byte_item_view.ts";
import { ChunkEmitter } from "./chunk_emitter.ts";
import {
  COLON,
  COMMA,
  decodeString,
  LBRACE,
  LBRACKET,
  parseSlice,
  QUOTE,
  RBRACE,
  RBRACKET,
  skipWs,
} from "./json_bytes.ts";
import type { DropPredicate, ItemView } from "./rules.ts";
import { type ItemScanner, itemScanner } from "./simd_value_scanner.ts";
import { byteName, ValueScanner } from "./value_scanner.ts";

/** The list's own fields, reported once the whole body has been read. */
export interface ListMeta {
  kind: string;
  apiVersion: string;
  resourceVersion: string;
  continue: string;
  remainingItemCount?: number;
}

/**
 * Sees what the client gets: `item()` for every KEPT item with its bytes exactly as sent (a
 * view into an input chunk: copy it to keep it), `end()` once after a well-formed body. Its
 * throws are caught and ignored, so a failing observer (the cache) never breaks the client.
 */
export interface ListObserver {
  item?(bytes: Uint8Array, view: ItemView): void;
  end?(meta: ListMeta): void;
}

/** Options for {@linkcode ListFilterStream}. */
export interface ListFilterOptions {
  observer?: ListObserver;
  /** `"rows"` for a meta.k8s.io Table: each row's `object` decides. @default {"items"} */
  itemsKey?: "items" | "rows";
  /** A larger item errors the stream. @default {64 MiB} */
  maxItemBytes?: number;
  /** Paths the observer will read; views are lazy, so this is a hint only. */
  extraFieldPaths?: readonly string[];
}

const ST_BEGIN = 0, ST_FIRST_KEY = 1, ST_KEY = 2, ST_COLON = 3, ST_VALUE = 4, ST_TOP_VALUE = 5;
const ST_AFTER_VALUE = 6, ST_NEXT_KEY = 7, ST_FIRST_ITEM = 8, ST_ITEM = 9, ST_AFTER_ITEM = 10;
const ST_NEXT_ITEM = 11, ST_DONE = 12;
const WHERE = [
  "before the list object",
  "before the first key",
  "inside a key",
  "before a colon",
  "before a value",
  "inside a value",
  "after a value",
  "before a key",
  "inside the items array",
  "inside an item",
  "after an item",
  "before an item",
  "after the list",
];
const COMMA_BYTES = new Uint8Array([COMMA]);
/**
 * Up to 4 chunks (~256 KiB) may wait on each side of the filter, so the upstream read, the
 * scan and the client write overlap instead of taking turns (the proxy shares 2 cores with its
 * upstream and client in the benchmark: median +9% MB/s over 7 A/B runs).
 */
const READ_AHEAD = { highWaterMark: 4 };
/** Output is sent in chunks of at least this many bytes (but the last). */
const OUTPUT_CHUNK = 64 * 1024;

/** The transformer behind {@linkcode ListFilterStream}; one per response. */
class ListFilter implements Transformer<Uint8Array, Uint8Array> {
  readonly #drop: DropPredicate | null;
  readonly #observer: ListObserver | undefined;
  readonly #itemsKey: string;
  readonly #max: number;
  readonly #scanner = new ValueScanner(); // keys and the list's own values
  readonly #items: ItemScanner = itemScanner();
  readonly #out = new ChunkEmitter();
  #state = ST_BEGIN;
  #key = "";
  #passStart = -1; // start of the pass-through run in this chunk; -1 inside the items array
  #capStart = -1; // start of the key, value or item being captured in this chunk
  #capParts: Uint8Array[] = [];
  #capBytes = 0;
  #inChunk = false; // the last capture lies wholly in the current chunk
  #kept = 0;
  #gapStart = -1; // in this chunk, the end of the `[` or kept item before the current gap
  #top: Record<string, unknown> = {};

  constructor(drop: DropPredicate | null, options: ListFilterOptions) {
    this.#drop = drop;
    this.#observer = options.observer;
    this.#itemsKey = options.itemsKey ?? "items";
    this.#max = options.maxItemBytes ?? 64 * 1024 * 1024;
  }

  transform(chunk: Uint8Array, controller: TransformStreamDefaultController<Uint8Array>): void {
    try {
      this.#process(chunk);
    } finally {
      this.#items.endChunk();
    }
    // A list is read whole by its client, so kept bytes wait for a full output chunk: half as
    // many writes when half is dropped (measured +2% to +13% MB/s through the proxy).
    if (this.#out.size >= OUTPUT_CHUNK) this.#out.flush(controller);
  }

  flush(controller: TransformStreamDefaultController<Uint8Array>): void {
    this.#out.flush(controller);
    if (this.#state !== ST_DONE) {
      throw new TypeError(`Truncated list body: it ended ${WHERE[this.#state]}`);
    }
    const t = this.#top, m = (t.metadata ?? {}) as Record<string, unknown>;
    const meta: ListMeta = {
      kind: typeof t.kind === "string" ? t.kind : "",
      apiVersion: typeof t.apiVersion === "string" ? t.apiVersion : "",
      resourceVersion: typeof m.resourceVersion === "string" ? m.resourceVersion : "",
      continue: typeof m.continue === "string" ? m.continue : "",
    };
    if (typeof m.remainingItemCount === "number") meta.remainingItemCount = m.remainingItemCount;
    try {
      this.#observer?.end?.(meta);
    } catch { /* the observer's failure is its own; the client's response is complete */ }
  }

  #process(b: Uint8Array): void {
    const n = b.length;
    if (this.#passStart >= 0) this.#passStart = 0;
    if (this.#capStart >= 0) this.#capStart = 0;
    this.#gapStart = -1;
    let i = 0;
    while (i < n) {
      const st = this.#state;
      if (st === ST_KEY || st === ST_TOP_VALUE || st === ST_ITEM) {
        const e = st === ST_ITEM ? this.#items.scan(b, i) : this.#scanner.scan(b, i);
        if (e < 0) break;
        const bytes = this.#endCapture(b, e);
        if (st === ST_ITEM) this.#onItem(b, e, bytes);
        else if (st === ST_KEY) this.#key = decodeString(bytes, 0, bytes.length);
        else this.#onTopValue(bytes);
        this.#state = st === ST_KEY ? ST_COLON : st === ST_ITEM ? ST_AFTER_ITEM : ST_AFTER_VALUE;
        i = e;
        continue;
      }
      i = skipWs(b, i, n);
      if (i === n) break;
      const c = b[i];
      if (st === ST_BEGIN && c === LBRACE) {
        this.#passStart = i;
        this.#state = ST_FIRST_KEY;
      } else if ((st === ST_FIRST_KEY || st === ST_NEXT_KEY) && c === QUOTE) {
        this.#startCapture(i);
        this.#state = ST_KEY;
        continue;
      } else if ((st === ST_FIRST_KEY || st === ST_AFTER_VALUE) && c === RBRACE) {
        this.#state = ST_DONE;
      } else if (st === ST_COLON && c === COLON) this.#state = ST_VALUE;
      else if (st === ST_VALUE && this.#key === this.#itemsKey) {
        if (c !== LBRACKET) throw new TypeError(`List body's "${this.#itemsKey}" is not an array`);
        this.#out.push(b, this.#passStart, i + 1);
        this.#passStart = -1;
        this.#gapStart = i + 1;
        this.#kept = 0;
        this.#state = ST_FIRST_ITEM;
      } else if (st === ST_VALUE) {
        this.#startCapture(i);
        this.#state = ST_TOP_VALUE;
        continue;
      } else if (st === ST_AFTER_VALUE && c === COMMA) this.#state = ST_NEXT_KEY;
      else if ((st === ST_FIRST_ITEM || st === ST_NEXT_ITEM) && c === LBRACE) {
        this.#startCapture(i);
        this.#state = ST_ITEM;
        continue;
      } else if ((st === ST_FIRST_ITEM || st === ST_AFTER_ITEM) && c === RBRACKET) {
        this.#passStart = this.#gapStart >= 0 ? this.#gapStart : i;
        this.#state = ST_AFTER_VALUE;
      } else if (st === ST_AFTER_ITEM && c === COMMA) this.#state = ST_NEXT_ITEM;
      else if (st === ST_BEGIN) throw new TypeError("List body is not a JSON object");
      else {
        throw new TypeError(`Malformed list body: unexpected ${byteName(c)} ${WHERE[st]}`);
      }
      i++;
    }
    if (this.#passStart >= 0) this.#out.push(b, this.#passStart, n);
    if (this.#capStart >= 0 && this.#capStart < n) {
      this.#capParts.push(b.subarray(this.#capStart, n));
      this.#capBytes += n - this.#capStart;
      if (this.#capBytes > this.#max) {
        throw new RangeError(`List item larger than ${this.#max} bytes ${WHERE[this.#state]}`);
      }
    }
  }

  #startCapture(i: number): void {
    this.#capStart = i;
    this.#capParts = [];
    this.#capBytes = 0;
  }

  /** The captured bytes ending at `b[e]`: a subarray when they lie in this chunk. */
  #endCapture(b: Uint8Array, e: number): Uint8Array {
    const s = this.#capStart;
    this.#capStart = -1;
    this.#inChunk = this.#capParts.length === 0;
    if (this.#inChunk) return b.subarray(s, e);
    const total = this.#capBytes + e;
    if (total > this.#max) throw new RangeError(`List item larger than ${this.#max} bytes`);
    const out = new Uint8Array(total);
    let o = 0;
    for (const p of this.#capParts) {
      out.set(p, o);
      o += p.length;
    }
    out.set(b.subarray(0, e), o);
    this.#capParts = [];
    return out;
  }

  #onTopValue(bytes: Uint8Array): void {
    // Top-level values are small (kind, apiVersion, metadata), so a real parse both checks
    // them and yields the list metadata for the observer.
    try {
      this.#top[this.#key] = parseSlice(bytes, 0, bytes.length);
    } catch (e) {
      throw new TypeError(`Malformed list body: bad value of "${this.#key}": ${e}`);
    }
  }

  /** The one decision point per item; a transform rule would return replacement bytes here. */
  #onItem(b: Uint8Array, e: number, bytes: Uint8Array): void {
    const contiguous = this.#inChunk;
    const observer = this.#observer;
    let view: ItemView | null = null;
    if (this.#drop !== null || observer?.item) {
      view = this.#itemsKey === "rows" ? rowObjectView(bytes) : new ByteItemView(bytes);
    }
    if (this.#drop !== null && this.#drop(view!)) {
      this.#gapStart = -1;
      return;
    }
    if (contiguous && this.#gapStart >= 0) {
      // The original separator (or the whitespace after `[`) and the item follow what was
      // last emitted: one range, so an undropped stretch of a chunk goes out uncopied.
      this.#out.push(b, this.#gapStart, e);
    } else {
      if (this.#kept > 0) this.#out.push(COMMA_BYTES);
      if (contiguous) this.#out.push(b, e - bytes.length, e);
      else this.#out.push(bytes);
    }
    this.#kept++;
    this.#gapStart = contiguous ? e : -1;
    if (observer?.item) {
      try {
        observer.item(bytes, view!);
      } catch { /* caching never breaks the response */ }
    }
  }
}

/**
 * Filters a list response body (`{"kind":...,"items":[...]}`). Items the predicate drops vanish
 * with their commas; everything else passes byte for byte, top-level keys in any order.
 * Memory is bounded by the largest item, never by the list.
 *
 * Errors (the stream errors, no fabricated ending is emitted, `observer.end` is not called):
 * `TypeError` for a body that is not a JSON object, an items value that is not an array of
 * objects, malformed or truncated JSON; `RangeError` for an item over `maxItemBytes`.
 *
 * @example
 * ```ts
 * import { ListFilterStream } from "./list_filter_stream.ts";
 * const drop = Object.assign((v: { name: string }) => v.name.startsWith("skip-"), {
 *   fieldPaths: ["metadata.name"],
 * });
 * const body = '{"kind":"ConfigMapList","items":[{"metadata":{"name":"skip-a"}},{"metadata":{"name":"b"}}]}';
 * const out = ReadableStream.from([new TextEncoder().encode(body)])
 *   .pipeThrough(new ListFilterStream(drop));
 * ```
 */
export class ListFilterStream extends TransformStream<Uint8Array, Uint8Array> {
  constructor(drop: DropPredicate | null, options: ListFilterOptions = {}) {
    const filter = new ListFilter(drop, options);
    super(
      {
        transform: (chunk, controller) => filter.transform(chunk, controller),
        flush: (controller) => filter.flush(controller),
      },
      READ_AHEAD,
      READ_AHEAD,
    );
  }
}
