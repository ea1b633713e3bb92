/**
 * @module `WatchFilterStream`: filters a watch response (one JSON event per line) event by
 * event, writing each event the moment its line is complete.
 */

import { ByteItemView } from "./byte_item_view.ts";
import { ChunkEmitter } from "./chunk_emitter.ts";
import {
  concatBytes,
  decodeString,
  isWs,
  LBRACE,
  NEWLINE,
  parseSlice,
  QUOTE,
  RBRACE,
  skipValue,
  skipWs,
  stringEnd,
} from "./json_bytes.ts";
import type { DropPredicate, ItemView } from "./rules.ts";
import { skipValueFast } from "./simd_value_scanner.ts";
import { filterTableRows } from "./table_rows.ts";

/**
 * Sees each event actually sent, after drop and rewrite: `view` is null when the object is not
 * a JSON object. Its throws are caught and ignored.
 */
export interface WatchObserver {
  event?(type: string, objectBytes: Uint8Array, view: ItemView | null): void;
}

/** Options for {@linkcode WatchFilterStream}. */
export interface WatchFilterOptions {
  observer?: WatchObserver;
  /** Event objects are meta.k8s.io Tables: filter their rows. @default {false} */
  table?: boolean;
  /** A longer line errors the stream. @default {16 MiB} */
  maxLineBytes?: number;
}

const encoder = new TextEncoder();
const DELETED_PREFIX = encoder.encode('{"type":"DELETED","object":');
const EVENT_SUFFIX = encoder.encode("}\n");
const TYPE = "type";
const OBJECT = "object";

/** The transformer behind {@linkcode WatchFilterStream}; one per response. */
class WatchFilter implements Transformer<Uint8Array, Uint8Array> {
  readonly #drop: DropPredicate | null;
  readonly #observer: WatchObserver | undefined;
  readonly #table: boolean;
  readonly #max: number;
  readonly #out = new ChunkEmitter();
  #parts: Uint8Array[] = []; // the incomplete line carried from earlier chunks
  #partBytes = 0;
  #line = 0;

  constructor(drop: DropPredicate | null, options: WatchFilterOptions) {
    this.#drop = drop;
    this.#observer = options.observer;
    this.#table = options.table ?? false;
    this.#max = options.maxLineBytes ?? 16 * 1024 * 1024;
  }

  transform(chunk: Uint8Array, controller: TransformStreamDefaultController<Uint8Array>): void {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      const nl = chunk.indexOf(NEWLINE, i);
      if (nl < 0) {
        this.#partBytes += n - i;
        this.#checkLength(this.#partBytes);
        this.#parts.push(chunk.subarray(i, n));
        break;
      }
      if (this.#parts.length === 0) {
        this.#checkLength(nl + 1 - i);
        this.#onLine(chunk.subarray(i, nl + 1), chunk, i);
      } else {
        this.#parts.push(chunk.subarray(i, nl + 1));
        const line = concatBytes(this.#parts, this.#partBytes + nl + 1 - i);
        this.#parts = [];
        this.#partBytes = 0;
        this.#checkLength(line.length);
        this.#onLine(line, line, 0);
      }
      i = nl + 1;
    }
    this.#out.flush(controller);
  }

  flush(controller: TransformStreamDefaultController<Uint8Array>): void {
    if (this.#parts.length === 0) return;
    // The apiserver ends every event with a newline; a complete last event without one is
    // accepted, anything else is a cut-off stream.
    const line = concatBytes(this.#parts, this.#partBytes);
    this.#parts = [];
    if (skipWs(line, 0, line.length) === line.length) return;
    this.#onLine(line, line, 0, "truncated watch stream: ");
    this.#out.flush(controller);
  }

  #checkLength(n: number): void {
    if (n > this.#max) {
      throw new RangeError(`Watch event on line ${this.#line + 1} longer than ${this.#max} bytes`);
    }
  }

  /** `line` lies at `buf[start, start + line.length)`, so pass-through can merge ranges. */
  #onLine(line: Uint8Array, buf: Uint8Array, start: number, context = ""): void {
    this.#line++;
    let end = line.length;
    while (end > 0 && isWs(line[end - 1])) end--;
    if (end === 0) {
      this.#out.push(buf, start, start + line.length);
      return;
    }
    let type: string, os: number, oe: number;
    try {
      const s = skipWs(line, 0, end);
      if (line[s] !== LBRACE) throw new TypeError("not a JSON object");
      const root = new ByteItemView(line, s, end);
      const ts = root.valueStart(TYPE);
      if (ts < 0 || line[ts] !== QUOTE) throw new TypeError(`no string "type"`);
      type = decodeString(line, ts, stringEnd(line, ts, end));
      os = root.valueStart(OBJECT);
      if (os < 0) throw new TypeError(`no "object"`);
      oe = skipValueFast(line, os, end);
      // `object` is normally the last member; otherwise check the whole line the slow way.
      const close = skipWs(line, oe, end);
      if ((line[close] !== RBRACE || close + 1 !== end) && skipValue(line, s, end) !== end) {
        throw new TypeError("not one JSON object");
      }
    } catch (e) {
      throw new TypeError(`Malformed watch event on line ${this.#line}: ${context}${messageOf(e)}`);
    }
    const object = line.subarray(os, oe);
    const isObject = line[os] === LBRACE;
    const drop = this.#drop;
    if (drop === null || !(type === "ADDED" || type === "MODIFIED" || type === "DELETED")) {
      this.#out.push(buf, start, start + line.length);
      return this.#notify(type, object, isObject);
    }
    if (!isObject) throw new TypeError(`Malformed watch event on line ${this.#line}: no object`);
    let dropped: boolean;
    if (this.#table) {
      const r = filterTableRows(parseSlice(object, 0, object.length), drop);
      dropped = r.rows > 0 && r.dropped === r.rows;
      if (r.table !== undefined) {
        // Some rows survive: the event stays, carrying a Table of just those rows.
        const rewritten = encoder.encode(JSON.stringify(r.table));
        this.#out.push(encoder.encode(`{"type":${JSON.stringify(type)},"object":`));
        this.#out.push(rewritten);
        this.#out.push(EVENT_SUFFIX);
        return this.#notify(type, rewritten, true);
      }
    } else dropped = drop(new ByteItemView(object));
    if (!dropped) {
      this.#out.push(buf, start, start + line.length);
      return this.#notify(type, object, true);
    }
    // A client may hold the object from before it matched a rule: MODIFIED becomes DELETED
    // so it lets go (YurtHub does the same). ADDED and DELETED of it are simply not sent.
    if (type === "MODIFIED") {
      this.#out.push(DELETED_PREFIX);
      this.#out.push(object);
      this.#out.push(EVENT_SUFFIX);
      this.#notify("DELETED", object, true);
    }
  }

  #notify(type: string, object: Uint8Array, isObject: boolean): void {
    const observer = this.#observer;
    if (!observer?.event) return;
    try {
      observer.event(type, object, isObject ? new ByteItemView(object) : null);
    } catch { /* caching never breaks the response */ }
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Filters a watch response. A dropped object's ADDED and DELETED are not sent, its MODIFIED
 * becomes `{"type":"DELETED","object":<the object>}`; BOOKMARK, ERROR and kept events pass byte
 * for byte. In table mode the rows of a Table event are filtered; when all go, the same rules
 * apply to the event.
 *
 * Errors: `TypeError` for a malformed line, `RangeError` for a line over `maxLineBytes`.
 */
export class WatchFilterStream extends TransformStream<Uint8Array, Uint8Array> {
  constructor(drop: DropPredicate | null, options: WatchFilterOptions = {}) {
    const filter = new WatchFilter(drop, options);
    super({
      transform: (chunk, controller) => filter.transform(chunk, controller),
      flush: (controller) => filter.flush(controller),
    });
  }
}
