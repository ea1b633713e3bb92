/**
 * @module Row filtering for meta.k8s.io Tables (kubectl's `as=Table`) in watch events and gets,
 * where the Table is one small object and re-serialising it is acceptable.
 */

import { ObjectItemView } from "./object_item_view.ts";
import type { DropPredicate } from "./rules.ts";

/** The outcome of filtering a Table's rows. */
export interface TableRowsResult {
  /** Rows the Table had. */
  rows: number;
  /** Rows dropped. */
  dropped: number;
  /** The Table without the dropped rows; only when some but not all were dropped. */
  table?: Record<string, unknown>;
}

/**
 * Drops the rows whose `object` the predicate drops. A row without an object is kept.
 *
 * @throws {TypeError} when `table` is not an object or its `rows` is neither absent nor an array.
 */
export function filterTableRows(table: unknown, drop: DropPredicate): TableRowsResult {
  if (typeof table !== "object" || table === null || Array.isArray(table)) {
    throw new TypeError("Table is not a JSON object");
  }
  const t = table as Record<string, unknown>;
  if (t.rows === undefined || t.rows === null) return { rows: 0, dropped: 0 };
  if (!Array.isArray(t.rows)) throw new TypeError(`Table's "rows" is not an array`);
  const kept = t.rows.filter((row) => {
    const obj = typeof row === "object" && row !== null ? (row as { object?: unknown }).object : {};
    return !drop(new ObjectItemView(obj));
  });
  const dropped = t.rows.length - kept.length;
  const result: TableRowsResult = { rows: t.rows.length, dropped };
  if (dropped > 0 && kept.length > 0) result.table = { ...t, rows: kept };
  return result;
}
