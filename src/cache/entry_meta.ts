/**
 * @module Entry meta: the one KV value whose `gen` decides which records of an entry exist.
 *
 * Flipping it is the commit point of every write: records of a higher generation are invisible
 * until the meta names their generation, so a crash leaves each entry fully old or fully new.
 */
import { type EntryRef, metaKey } from "./cache_keys.ts";

/** A complete cached collection as readers see it. */
export interface EntryMeta {
  resource: string;
  namespace: string;
  labelSelector: string;
  fieldSelector: string;
  /** `kind` of the list response, e.g. `PodList`. */
  listKind: string;
  apiVersion: string;
  /** The list's resourceVersion, advanced by watch events and bookmarks. */
  resourceVersion: string;
  /** Records with `gen <= this` are visible. */
  gen: number;
  /** When the entry last matched the apiserver (ms since the epoch). */
  updatedAt: number;
  complete: true;
}

/** What the HTTP side knows at the end of a list. */
export interface ListInfo {
  listKind: string;
  apiVersion: string;
  resourceVersion: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Meta as stored: JSON bytes. */
export function encodeMeta(meta: EntryMeta): Uint8Array {
  return encoder.encode(JSON.stringify(meta));
}

/** Meta from stored bytes; null when the value is not a meta this version wrote. */
export function decodeMeta(value: unknown): EntryMeta | null {
  if (!(value instanceof Uint8Array)) return null;
  try {
    const m = JSON.parse(decoder.decode(value));
    if (
      m === null || typeof m !== "object" || typeof m.gen !== "number" || m.complete !== true ||
      typeof m.resource !== "string" || typeof m.namespace !== "string" ||
      typeof m.labelSelector !== "string" || typeof m.fieldSelector !== "string" ||
      typeof m.resourceVersion !== "string" || typeof m.updatedAt !== "number"
    ) return null;
    return m as EntryMeta;
  } catch {
    return null;
  }
}

/** A meta built for an entry from a finished list. */
export function metaFor(entry: EntryRef, info: ListInfo, gen: number, now: number): EntryMeta {
  return {
    resource: entry.resource,
    namespace: entry.namespace,
    labelSelector: entry.labelSelector,
    fieldSelector: entry.fieldSelector,
    listKind: info.listKind,
    apiVersion: info.apiVersion,
    resourceVersion: info.resourceVersion,
    gen,
    updatedAt: now,
    complete: true,
  };
}

/**
 * Reads an entry's meta with its versionstamp (for the flip's `.check()`).
 * `meta` is null when the entry has never completed (or its meta is unreadable).
 */
export async function readMeta(
  kv: Deno.Kv,
  entry: Pick<EntryRef, "partition" | "id">,
): Promise<{ meta: EntryMeta | null; versionstamp: string | null }> {
  const res = await kv.get(metaKey(entry));
  return { meta: decodeMeta(res.value), versionstamp: res.versionstamp };
}

/** Numeric resourceVersions compare as numbers; anything else is "unknown order" (null). */
export function compareResourceVersions(a: string, b: string): number | null {
  if (!/^\d{1,30}$/.test(a) || !/^\d{1,30}$/.test(b)) return null;
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
