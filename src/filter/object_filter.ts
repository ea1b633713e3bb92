/**
 * @module The filter for a single GET: read the one object, decide, and for a Table drop rows.
 */

import { ByteItemView } from "./byte_item_view.ts";
import { concatBytes, LBRACE, parseSlice, skipValue, skipWs } from "./json_bytes.ts";
import type { DropPredicate } from "./rules.ts";
import { filterTableRows } from "./table_rows.ts";

/** Options for {@linkcode readObjectFiltered}. */
export interface ObjectFilterOptions {
  /** A larger body is refused. @default {64 MiB} */
  maxBytes?: number;
  /** The body is a meta.k8s.io Table (kubectl's `as=Table`): filter its rows. @default {false} */
  table?: boolean;
}

/** What {@linkcode readObjectFiltered} found. */
export interface ObjectFilterResult {
  /** The client must get a NotFound: the object, or every row of the Table, is dropped. */
  dropped: boolean;
  /** The body to send: unchanged, or a Table re-serialised without its dropped rows. */
  bytes: Uint8Array;
  /** A view of `bytes`. */
  view: ByteItemView;
}

const encoder = new TextEncoder();

/**
 * Reads a GET response body and applies the predicate.
 *
 * @throws {TypeError} when the body is not one well-formed JSON object.
 * @throws {RangeError} when the body is over `maxBytes`; reading stops there.
 */
export async function readObjectFiltered(
  body: ReadableStream<Uint8Array>,
  drop: DropPredicate | null,
  options: ObjectFilterOptions = {},
): Promise<ObjectFilterResult> {
  const max = options.maxBytes ?? 64 * 1024 * 1024;
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > max) throw new RangeError(`Object body larger than ${max} bytes`);
    parts.push(chunk);
  }
  const bytes = concatBytes(parts.length === 0 ? [new Uint8Array()] : parts, total);
  const s = skipWs(bytes, 0, bytes.length);
  if (bytes[s] !== LBRACE) throw new TypeError("Object body is not a JSON object");
  const e = skipValue(bytes, s, bytes.length);
  if (skipWs(bytes, e, bytes.length) !== bytes.length) {
    throw new TypeError("Object body has data after the object");
  }
  // skipValue checks only balance and stray bytes. A GET body is already whole and one object,
  // so parse it to keep the contract above: a balanced but malformed object (`{"a":1 "b":2}`)
  // otherwise went out as a 200, and the cache tap's field lookups threw a 500 on it.
  let parsed: unknown;
  try {
    parsed = parseSlice(bytes, s, e);
  } catch (err) {
    throw new TypeError(`Object body is malformed JSON: ${err}`);
  }
  if (drop === null) return { dropped: false, bytes, view: new ByteItemView(bytes, s, e) };
  if (!options.table) {
    const view = new ByteItemView(bytes, s, e);
    return { dropped: drop(view), bytes, view };
  }
  const table = parsed;
  const r = filterTableRows(table, drop);
  const out = r.table === undefined ? bytes : encoder.encode(JSON.stringify(r.table));
  const start = r.table === undefined ? s : 0;
  const end = r.table === undefined ? e : out.length;
  return {
    dropped: r.rows > 0 && r.dropped === r.rows,
    bytes: out,
    view: new ByteItemView(out, start, end),
  };
}
