/**
 * @module `SimdValueScanner`: finds where a JSON object or array ends with the WebAssembly SIMD
 * kernel of simd_scan.wat, 64 bytes a step, carrying its state across chunks like
 * {@linkcode ValueScanner} does. `itemScanner()` gives one, or the plain scanner where
 * WebAssembly is unavailable.
 */

import { LBRACE, LBRACKET, skipValue } from "./json_bytes.ts";
import { SIMD_SCAN_WASM_BASE64 } from "./simd_scan_wasm.ts";
import { byteName, ValueScanner } from "./value_scanner.ts";

/** Where simd_scan.wat keeps the bracket stack and where the chunk starts. */
const STACK = 64;
const DATA = 16384;
/** The kernel reads whole 64-byte blocks, so this much must be readable past a chunk. */
const OVERRUN = 64;
const PAGE = 65536;

interface KernelExports {
  memory: WebAssembly.Memory;
  depth: WebAssembly.Global;
  inString: WebAssembly.Global;
  escaped: WebAssembly.Global;
  errAt: WebAssembly.Global;
  scan(p: number, end: number, depth: number, inString: number, escaped: number): number;
}

/** The most of a chunk copied in at once: WebAssembly memory never shrinks, so it stays small. */
const WINDOW = 256 * 1024;

/**
 * One instance serves every scanner: scans are synchronous and JavaScript runs one at a time,
 * so a scanner copies its chunk in (once per chunk, in windows of at most WINDOW bytes) and its
 * few bytes of state in and out. Memory stays at one window, not a buffer per open list.
 */
class Kernel {
  readonly exports: KernelExports;
  bytes: Uint8Array;
  /** The chunk whose bytes [base, base + length) are now at DATA. */
  loaded: Uint8Array | null = null;
  base = 0;
  length = 0;

  constructor(exports: KernelExports) {
    this.exports = exports;
    this.bytes = new Uint8Array(exports.memory.buffer);
  }

  /** Makes `chunk[i]` readable at DATA + i - base; returns base. */
  window(chunk: Uint8Array, i: number): number {
    if (this.loaded === chunk && i >= this.base && i < this.base + this.length) return this.base;
    const n = Math.min(chunk.length - i, WINDOW);
    const need = DATA + n + OVERRUN;
    if (need > this.bytes.length) {
      this.exports.memory.grow(Math.ceil((need - this.bytes.length) / PAGE));
      this.bytes = new Uint8Array(this.exports.memory.buffer);
    }
    this.bytes.set(chunk.subarray(i, i + n), DATA);
    this.loaded = chunk;
    this.base = i;
    this.length = n;
    return i;
  }
}

let kernel: Kernel | null | undefined;

/** The shared kernel, or null where WebAssembly (or its SIMD) is unavailable, e.g. jitless. */
function sharedKernel(): Kernel | null {
  if (kernel !== undefined) return kernel;
  try {
    const bin = Uint8Array.from(atob(SIMD_SCAN_WASM_BASE64), (c) => c.charCodeAt(0));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bin));
    kernel = new Kernel(instance.exports as unknown as KernelExports);
  } catch {
    kernel = null;
  }
  return kernel;
}

/** What the list filter needs of a scanner of its items. */
export interface ItemScanner {
  /**
   * As {@linkcode ValueScanner.scan}, for an object or array value. The SIMD scanner copies a
   * chunk in on its first scan, so a chunk must not change until {@linkcode endChunk}.
   */
  scan(b: Uint8Array, i: number): number;
  /** Done with the chunk: the next scan copies again, and the kernel no longer holds it. */
  endChunk(): void;
}

/**
 * Scans one JSON object or array; same contract and errors as {@linkcode ValueScanner.scan}
 * (balance, bracket kinds, stray bytes outside strings; numbers and literals unchecked).
 */
export class SimdValueScanner implements ItemScanner {
  readonly #kernel: Kernel;
  #active = false;
  #depth = 0;
  #inString = 0;
  #escaped = 0;
  #stack = new Uint8Array(64);

  constructor(k: Kernel) {
    this.#kernel = k;
  }

  scan(b: Uint8Array, i: number): number {
    const k = this.#kernel, x = k.exports, n = b.length;
    let depth = 0, inString = 0, escaped = 0;
    if (!this.#active) {
      const c = b[i];
      if (c !== LBRACE && c !== LBRACKET) {
        throw new TypeError(`Malformed JSON: expected an object or array, got ${byteName(c)}`);
      }
      this.#active = true;
    } else {
      // Another scanner may have used the stack since this one's last chunk.
      k.bytes.set(this.#stack.subarray(0, this.#depth), STACK);
      depth = this.#depth;
      inString = this.#inString;
      escaped = this.#escaped;
    }
    for (;;) {
      const base = k.window(b, i);
      const r = x.scan(i - base, k.length, depth, inString, escaped);
      if (r >= 0) {
        this.#active = false;
        return base + r;
      }
      if (r === -1) {
        if (base + k.length >= n) {
          this.#save(x);
          return -1;
        }
        // The next window of the same chunk: the stack is still in place.
        i = base + k.length;
        depth = x.depth.value as number;
        inString = x.inString.value as number;
        escaped = x.escaped.value as number;
        continue;
      }
      this.#active = false;
      const at = base + (x.errAt.value as number);
      if (r === -2) throw new TypeError(`Malformed JSON: mismatched ${byteName(b[at])}`);
      if (r === -3) throw new TypeError(`Malformed JSON: unexpected ${byteName(b[at])}`);
      throw new TypeError("Malformed JSON: nesting too deep");
    }
  }

  endChunk(): void {
    this.#kernel.loaded = null;
  }

  #save(x: KernelExports): void {
    const depth = x.depth.value as number;
    if (depth > this.#stack.length) this.#stack = new Uint8Array(depth * 2);
    this.#stack.set(this.#kernel.bytes.subarray(STACK, STACK + depth));
    this.#depth = depth;
    this.#inString = x.inString.value as number;
    this.#escaped = x.escaped.value as number;
  }
}

/** {@linkcode ValueScanner} as an {@linkcode ItemScanner}: it reads chunks in place. */
class PlainItemScanner extends ValueScanner implements ItemScanner {
  endChunk(): void {}
}

/** Bytes of the shared kernel's memory (0 without one): one window, whatever the chunk sizes. */
export function simdKernelBytes(): number {
  return kernel ? kernel.bytes.length : 0;
}

/** The SIMD scanner where WebAssembly runs, else the plain one. */
export function itemScanner(): ItemScanner {
  const k = sharedKernel();
  return k === null ? new PlainItemScanner() : new SimdValueScanner(k);
}

/**
 * {@linkcode skipValue} of a whole buffer with the SIMD kernel when `b[i]` opens an object or
 * array: the index past the value, which must end before `end`.
 *
 * @throws {TypeError} on malformed or unterminated JSON.
 */
export function skipValueFast(b: Uint8Array, i: number, end: number): number {
  const k = sharedKernel();
  const c = b[i];
  if (k === null || (c !== LBRACE && c !== LBRACKET)) return skipValue(b, i, end);
  const s = new SimdValueScanner(k);
  try {
    const e = s.scan(end === b.length ? b : b.subarray(0, end), i);
    if (e < 0) throw new TypeError("Malformed JSON: unterminated value");
    return e;
  } finally {
    s.endChunk();
  }
}
