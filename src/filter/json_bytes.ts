/**
 * @module Byte-level JSON helpers over complete buffers: skip a value, find an object member,
 * decode a small value. They let the filter read a few fields of an item without parsing it.
 *
 * Inside strings the helpers jump with `indexOf(0x22)` (a native memchr) and count the
 * backslashes before each quote, so most of an item's bytes are never looked at one by one.
 */

export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const LBRACE = 0x7b;
export const RBRACE = 0x7d;
export const LBRACKET = 0x5b;
export const RBRACKET = 0x5d;
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const NEWLINE = 0x0a;

/** The deepest nesting any scanner accepts, as Go's encoding/json and so the apiserver. */
export const MAX_DEPTH = 10000;

/** Byte classes outside strings: what a structural scan has to react to. */
export const C_PLAIN = 0; // whitespace, `,`, `:`, and the letters/digits of numbers and literals
export const C_QUOTE = 1;
export const C_OPEN = 2;
export const C_CLOSE = 3;
export const C_INVALID = 4;

/** Class of every byte value; anything that cannot appear outside a JSON string is invalid. */
export const BYTE_CLASS: Uint8Array = (() => {
  const t = new Uint8Array(256).fill(C_INVALID);
  for (const c of " \t\r\n,:0123456789+-.eEtrufalsn") t[c.charCodeAt(0)] = C_PLAIN;
  t[QUOTE] = C_QUOTE;
  t[LBRACE] = C_OPEN;
  t[LBRACKET] = C_OPEN;
  t[RBRACE] = C_CLOSE;
  t[RBRACKET] = C_CLOSE;
  return t;
})();

/** True for the four JSON whitespace bytes. */
export function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** First index at or after `i` that is not whitespace (or `end`). */
export function skipWs(b: Uint8Array, i: number, end: number): number {
  while (i < end && isWs(b[i])) i++;
  return i;
}

/** Strings longer than this switch from a byte loop to `indexOf`, a native memchr. */
export const SHORT_STRING = 32;

/**
 * Index past the closing quote of the string opening at `i`; throws when unterminated.
 * Most strings in Kubernetes JSON are short keys, where a byte loop beats calling `indexOf`;
 * long values (certificates, configmap data) are crossed with `indexOf`.
 */
export function stringEnd(b: Uint8Array, i: number, end: number): number {
  let p = i + 1;
  const lim = p + SHORT_STRING < end ? p + SHORT_STRING : end;
  while (p < lim) {
    const c = b[p++];
    if (c === QUOTE) return p;
    if (c === BACKSLASH) p++;
  }
  return stringTail(b, p, end);
}

/** Continues inside a string at `p` (not an escaped byte); returns the index past its end. */
export function stringTail(b: Uint8Array, p: number, end: number): number {
  for (;;) {
    const q = b.indexOf(QUOTE, p);
    if (q < 0 || q >= end) throw new TypeError("Malformed JSON: unterminated string");
    let k = q - 1;
    while (k >= p && b[k] === BACKSLASH) k--;
    if (((q - 1 - k) & 1) === 0) return q + 1;
    p = q + 1;
  }
}

/** True for bytes that may end a number or literal. */
function isDelimiter(c: number): boolean {
  return c === COMMA || c === RBRACE || c === RBRACKET || isWs(c);
}

/**
 * Index just past the value starting at `i` (no leading whitespace). Containers are checked
 * for balance and stray bytes, not for full grammar: that is the parse the filter avoids.
 */
export function skipValue(b: Uint8Array, i: number, end: number): number {
  const c = b[i];
  if (c === QUOTE) return stringEnd(b, i, end);
  if (c !== LBRACE && c !== LBRACKET) {
    let j = i;
    while (j < end && !isDelimiter(b[j])) {
      if (BYTE_CLASS[b[j]] !== C_PLAIN) throw new TypeError("Malformed JSON: unexpected byte");
      j++;
    }
    if (j === i) throw new TypeError("Malformed JSON: value expected");
    return j;
  }
  // Literal byte values in this loop: V8 folds them, and it is the hot path of every lookup.
  const table = BYTE_CLASS;
  let stack = new Uint8Array(16);
  let depth = 1;
  stack[0] = c;
  let j = i + 1;
  while (j < end) {
    const d = b[j++];
    const cls = table[d];
    if (cls === 0) continue;
    if (cls === 1) {
      const lim = j + 32 < end ? j + 32 : end;
      let closed = false;
      while (j < lim) {
        const e = b[j++];
        if (e === 0x22) {
          closed = true;
          break;
        }
        if (e === 0x5c) j++;
      }
      if (!closed) j = stringTail(b, j, end);
    } else if (cls === 2) {
      if (depth === stack.length) {
        // Go's encoding/json (the apiserver's) refuses deeper nesting; so do the scanners.
        if (depth >= MAX_DEPTH) throw new TypeError("Malformed JSON: nesting too deep");
        const grown = new Uint8Array(Math.min(depth * 2, MAX_DEPTH));
        grown.set(stack);
        stack = grown;
      }
      stack[depth++] = d;
    } else if (cls === 3) {
      if (stack[--depth] !== d - 2) throw new TypeError("Malformed JSON: mismatched bracket");
      if (depth === 0) return j;
    } else throw new TypeError("Malformed JSON: unexpected byte");
  }
  throw new TypeError("Malformed JSON: unterminated value");
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const keyCache = new Map<string, Uint8Array>();

/**
 * The canonical JSON encoding of a key's content (without quotes), memoised: keys come from
 * rules and observers, a small fixed set.
 */
export function keyBytes(key: string): Uint8Array {
  let k = keyCache.get(key);
  if (k === undefined) {
    k = encoder.encode(JSON.stringify(key).slice(1, -1));
    if (keyCache.size < 4096) keyCache.set(key, k);
  }
  return k;
}

/** True when the JSON string at [s, e) (quotes included) equals the key. */
export function keyEquals(b: Uint8Array, s: number, e: number, key: Uint8Array): boolean {
  const n = e - s - 2;
  let escaped = false;
  if (n === key.length) {
    let j = 0;
    while (j < n && b[s + 1 + j] === key[j]) j++;
    if (j === n) return true;
    escaped = b.subarray(s + 1, e - 1).includes(BACKSLASH);
  } else escaped = n > key.length && b.subarray(s + 1, e - 1).includes(BACKSLASH);
  // A non-canonical escape (`\u006e` for `n`) only compares equal once decoded.
  return escaped && decodeString(b, s, e) === JSON.parse(`"${decoder.decode(key)}"`);
}

/** Decodes the JSON string at [s, e), quotes included. */
export function decodeString(b: Uint8Array, s: number, e: number): string {
  const n = e - s - 2;
  if (n < 64) {
    let out = "";
    for (let j = s + 1; j < e - 1; j++) {
      const c = b[j];
      if (c >= 0x80 || c === BACKSLASH) return parseJson(b, s, e) as string;
      out += String.fromCharCode(c);
    }
    return out;
  }
  const body = b.subarray(s + 1, e - 1);
  if (!body.includes(BACKSLASH)) return decoder.decode(body);
  return parseJson(b, s, e) as string;
}

/**
 * `JSON.parse` of [s, e), failing with a TypeError: the scanner passes strings and scalars it
 * does not validate (a raw control character, a bad escape, `tru`), and the streams' documented
 * errors are TypeError and RangeError; a SyntaxError from a rule reading such a value escaped
 * them (found by tests/fuzz/filter_streams.test.ts).
 */
function parseJson(b: Uint8Array, s: number, e: number): unknown {
  try {
    return JSON.parse(decoder.decode(b.subarray(s, e)));
  } catch (err) {
    throw new TypeError(`Malformed JSON: ${(err as Error).message}`);
  }
}

/**
 * Decodes any small JSON value at [s, e) with `JSON.parse`.
 *
 * @throws {TypeError} when the bytes are not JSON.
 */
export function parseSlice(b: Uint8Array, s: number, e: number): unknown {
  return parseJson(b, s, e);
}

/**
 * The value at `i` as a field selector compares it: a string as itself, a number or boolean as
 * its JSON text; `undefined` for null, objects and arrays.
 */
export function scalarText(b: Uint8Array, i: number, end: number): string | undefined {
  const c = b[i];
  if (c === QUOTE) return decodeString(b, i, stringEnd(b, i, end));
  if (c === LBRACE || c === LBRACKET) return undefined;
  const e = skipValue(b, i, end);
  const text = decoder.decode(b.subarray(i, e));
  return text === "null" ? undefined : text;
}

/** Concatenates byte arrays into one. */
export function concatBytes(parts: readonly Uint8Array[], total?: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  let n = total ?? 0;
  if (total === undefined) { for (const p of parts) n += p.length; }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
