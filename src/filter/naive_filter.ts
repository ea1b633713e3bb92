/**
 * @module The obvious filter (parse the whole body, filter, stringify): the reference the
 * streaming filters are tested against and the baseline the benchmark beats.
 */

import { ObjectItemView } from "./object_item_view.ts";
import type { DropPredicate } from "./rules.ts";
import { filterTableRows } from "./table_rows.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function text(body: Uint8Array | string): string {
  return typeof body === "string" ? body : decoder.decode(body);
}

/**
 * Filters a whole list body at once.
 *
 * @throws {TypeError} when the body is not a JSON object with an array under `itemsKey`.
 */
export function naiveFilterList(
  body: Uint8Array | string,
  drop: DropPredicate | null,
  options: { itemsKey?: "items" | "rows" } = {},
): Uint8Array {
  const key = options.itemsKey ?? "items";
  const list = JSON.parse(text(body));
  if (typeof list !== "object" || list === null || Array.isArray(list)) {
    throw new TypeError("List body is not a JSON object");
  }
  if (!Array.isArray(list[key])) throw new TypeError(`List body's "${key}" is not an array`);
  if (drop !== null) {
    list[key] = list[key].filter((item: unknown) => {
      const obj = key === "rows" ? (item as { object?: unknown })?.object : item;
      return !drop(new ObjectItemView(obj));
    });
  }
  return encoder.encode(JSON.stringify(list));
}

/**
 * Filters a whole watch body (newline-delimited events) at once, by the rules of
 * `WatchFilterStream`: dropped ADDED and DELETED vanish, dropped MODIFIED becomes DELETED.
 */
export function naiveFilterWatch(
  body: Uint8Array | string,
  drop: DropPredicate | null,
  options: { table?: boolean } = {},
): Uint8Array {
  const out: string[] = [];
  for (const line of text(body).split("\n")) {
    if (line.trim() === "") continue;
    const event = JSON.parse(line) as { type: string; object: unknown };
    const { type } = event;
    if (drop === null || !["ADDED", "MODIFIED", "DELETED"].includes(type)) {
      out.push(JSON.stringify(event));
      continue;
    }
    let dropped: boolean;
    if (options.table) {
      const r = filterTableRows(event.object, drop);
      dropped = r.rows > 0 && r.dropped === r.rows;
      if (r.table) event.object = r.table;
    } else dropped = drop(new ObjectItemView(event.object));
    if (!dropped) out.push(JSON.stringify(event));
    else if (type === "MODIFIED") {
      out.push(JSON.stringify({ type: "DELETED", object: event.object }));
    }
  }
  return encoder.encode(out.map((l) => l + "\n").join(""));
}
