/**
 * @module The lazy `ItemView` over an object's raw bytes: only the members a predicate or an
 * observer asks for are located and decoded, and each object is walked at most once.
 */

import type { ItemView } from "./rules.ts";
import {
  COLON,
  COMMA,
  keyBytes,
  keyEquals,
  LBRACE,
  parseSlice,
  QUOTE,
  RBRACE,
  scalarText,
  skipValue,
  skipWs,
  stringEnd,
} from "./json_bytes.ts";

/**
 * Walks an object's members on demand. A lookup resumes where the previous one stopped and
 * remembers every key it passed, so looking up `name`, then `namespace`, then `labels` in
 * `metadata` costs one walk; `managedFields` and `status` are skipped, never decoded.
 */
class LazyMembers {
  readonly #b: Uint8Array;
  readonly #end: number;
  #pos: number;
  #done = false;
  #pending = false; // #pos is at a value still to be skipped, not at a key
  readonly #keys: number[] = []; // key start, key end, value start: three numbers per member

  constructor(b: Uint8Array, start: number, end: number) {
    this.#b = b;
    this.#end = end;
    this.#pos = skipWs(b, start + 1, end);
    if (b[this.#pos] === RBRACE) this.#done = true;
  }

  /** Start index of the member's value, or -1 when the object has no such key. */
  find(key: Uint8Array): number {
    const b = this.#b, keys = this.#keys;
    for (let k = 0; k < keys.length; k += 3) {
      if (keyEquals(b, keys[k], keys[k + 1], key)) return keys[k + 2];
    }
    const end = this.#end;
    while (!this.#done) {
      let i = this.#pos;
      if (this.#pending) {
        // Skip the value of the member found last time only now, when a later key is wanted.
        i = skipWs(b, skipValue(b, i, end), end);
        if (b[i] === RBRACE) {
          this.#done = true;
          break;
        }
        if (b[i] !== COMMA) throw new TypeError("Malformed JSON: comma or closing brace expected");
        i = skipWs(b, i + 1, end);
      }
      if (b[i] !== QUOTE) throw new TypeError("Malformed JSON: object key expected");
      const ke = stringEnd(b, i, end);
      const colon = skipWs(b, ke, end);
      if (b[colon] !== COLON) throw new TypeError("Malformed JSON: colon expected");
      const vs = skipWs(b, colon + 1, end);
      keys.push(i, ke, vs);
      this.#pos = vs;
      this.#pending = true;
      if (keyEquals(b, i, ke, key)) return vs;
    }
    return -1;
  }
}

const METADATA = keyBytes("metadata");
const NAME = keyBytes("name");
const NAMESPACE = keyBytes("namespace");
const RESOURCE_VERSION = keyBytes("resourceVersion");
const LABELS = keyBytes("labels");
const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * An `ItemView` over the JSON object at `bytes[start, end)`. Nothing is extracted until asked.
 *
 * @throws {TypeError} from any getter when the bytes it has to walk are malformed JSON.
 */
export class ByteItemView implements ItemView {
  /** The bytes the view reads; the object spans [start, end). */
  readonly bytes: Uint8Array;
  readonly start: number;
  readonly end: number;
  #root: LazyMembers | undefined;
  #objects: Map<string, LazyMembers | null> | undefined;
  #labels: Readonly<Record<string, string>> | undefined;

  constructor(bytes: Uint8Array, start = 0, end: number = bytes.length) {
    if (bytes[start] !== LBRACE) throw new TypeError("Malformed JSON: object expected");
    this.bytes = bytes;
    this.start = start;
    this.end = end;
  }

  get name(): string {
    return this.#metaString(NAME);
  }

  get namespace(): string {
    return this.#metaString(NAMESPACE);
  }

  get resourceVersion(): string {
    return this.#metaString(RESOURCE_VERSION);
  }

  get labels(): Readonly<Record<string, string>> {
    if (this.#labels === undefined) {
      const meta = this.#object("metadata");
      const vs = meta === null ? -1 : meta.find(LABELS);
      if (vs >= 0 && this.bytes[vs] === LBRACE) {
        this.#labels = parseSlice(this.bytes, vs, skipValue(this.bytes, vs, this.end)) as Record<
          string,
          string
        >;
      } else this.#labels = NO_LABELS;
    }
    return this.#labels;
  }

  /**
   * The value at a dotted path (`spec.nodeName`) as a field selector compares it: a string
   * as itself, numbers and booleans as their JSON text; `undefined` when absent, null, an
   * object or an array. Keys containing dots cannot be addressed.
   */
  field(path: string): string | undefined {
    const dot = path.lastIndexOf(".");
    const parent = dot < 0 ? this.#rootMembers() : this.#object(path.slice(0, dot));
    if (parent === null) return undefined;
    const vs = parent.find(keyBytes(path.slice(dot + 1)));
    return vs < 0 ? undefined : scalarText(this.bytes, vs, this.end);
  }

  /** Start index of a top-level member's value, or -1 when absent. */
  valueStart(key: string): number {
    return this.#rootMembers().find(keyBytes(key));
  }

  #metaString(key: Uint8Array): string {
    const meta = this.#object("metadata");
    const vs = meta === null ? -1 : meta.find(key);
    if (vs < 0 || this.bytes[vs] !== QUOTE) return "";
    return scalarText(this.bytes, vs, this.end) ?? "";
  }

  #rootMembers(): LazyMembers {
    return this.#root ??= new LazyMembers(this.bytes, this.start, this.end);
  }

  /** The members of the object at a dotted path, or null when it is absent or not an object. */
  #object(path: string): LazyMembers | null {
    const cached = this.#objects?.get(path);
    if (cached !== undefined) return cached;
    const dot = path.lastIndexOf(".");
    const parent = dot < 0 ? this.#rootMembers() : this.#object(path.slice(0, dot));
    let result: LazyMembers | null = null;
    if (parent !== null) {
      const vs = parent.find(path === "metadata" ? METADATA : keyBytes(path.slice(dot + 1)));
      if (vs >= 0 && this.bytes[vs] === LBRACE) result = new LazyMembers(this.bytes, vs, this.end);
    }
    (this.#objects ??= new Map()).set(path, result);
    return result;
  }
}

const EMPTY_OBJECT = new Uint8Array([LBRACE, RBRACE]);

/**
 * The view of a Table row (`{"cells":[...],"object":{...}}`): its `object`, or an empty
 * object when the row carries none (`includeObject=None`), which no name or label rule drops.
 */
export function rowObjectView(row: Uint8Array): ByteItemView {
  const vs = new ByteItemView(row).valueStart("object");
  if (vs >= 0 && row[vs] === LBRACE) return new ByteItemView(row, vs, row.length);
  return new ByteItemView(EMPTY_OBJECT);
}

/**
 * The bytes of a Table row's `object` (a subarray of `row`), or null when the row carries no
 * object. With `includeObject=Object` that is the whole object, exactly as a list item.
 *
 * @throws {TypeError} on malformed JSON.
 */
export function rowObjectBytes(row: Uint8Array): Uint8Array | null {
  const vs = new ByteItemView(row).valueStart("object");
  if (vs < 0 || row[vs] !== LBRACE) return null;
  return row.subarray(vs, skipValue(row, vs, row.length));
}
