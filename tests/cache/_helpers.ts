/** @module Test helpers for the cache: objects, list writes, full reads, a commit-counting KV. */
import { type EntryRef, entryRef } from "../../src/cache/cache_keys.ts";
import type { ListInfo } from "../../src/cache/entry_meta.ts";
import { readEntry } from "../../src/cache/entry_reader.ts";
import {
  type CacheItem,
  ListCacheWriter,
  type ListCacheWriterOptions,
  type ListWriteResult,
} from "../../src/cache/list_cache_writer.ts";
import type { RecordCodec } from "../../src/cache/record_codec.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A ConfigMap-like object of about `size` bytes. */
export function item(namespace: string, name: string, rv: string, size = 200): CacheItem {
  const base = { kind: "ConfigMap", metadata: { namespace, name, resourceVersion: rv } };
  const pad = Math.max(0, size - JSON.stringify(base).length - 20);
  const text = JSON.stringify({ ...base, data: { v: "x".repeat(pad) } });
  return { namespace, name, resourceVersion: rv, bytes: enc.encode(text) };
}

/** The list info of a ConfigMapList at `rv`. */
export function info(rv: string): ListInfo {
  return { listKind: "ConfigMapList", apiVersion: "v1", resourceVersion: rv };
}

/** An entry of partition `p` for configmaps in `ns`. */
export function cmEntry(p = "kubectl:fp", ns = "default"): Promise<EntryRef> {
  return entryRef(p, { resource: "configmaps", namespace: ns });
}

/** Writes a whole list and waits for it. */
export function writeList(
  kv: Deno.Kv,
  entry: EntryRef,
  items: CacheItem[],
  rv: string,
  options: ListCacheWriterOptions = {},
): Promise<ListWriteResult> {
  const w = new ListCacheWriter(kv, entry, options);
  for (const i of items) w.push(i);
  return w.end(info(rv));
}

/** Reads an entry fully: `ns/name@rv` strings and the decoded texts. */
export async function readAll(
  kv: Deno.Kv,
  entry: EntryRef,
  codec?: RecordCodec,
): Promise<{ rv: string; names: string[]; texts: string[] } | null> {
  const snap = await readEntry(kv, entry, { codec });
  if (!snap) return null;
  const names: string[] = [];
  const texts: string[] = [];
  for await (const o of snap) {
    names.push(`${o.namespace}/${o.name}@${o.resourceVersion}`);
    texts.push(dec.decode(o.bytes));
  }
  return { rv: snap.meta.resourceVersion, names, texts };
}

/** Counts what goes through `atomic()`: set values' bytes, sets, deletes, commits. */
export interface Counts {
  setBytes: number;
  sets: number;
  deletes: number;
  commits: number;
}

/** A KV whose atomic operations are counted (and may be made to fail). */
export function countingKv(kv: Deno.Kv): { kv: Deno.Kv; counts: Counts; failAfter: number } {
  const state = { counts: { setBytes: 0, sets: 0, deletes: 0, commits: 0 }, failAfter: Infinity };
  const wrapped = new Proxy(kv, {
    get(target, prop) {
      if (prop === "atomic") {
        return () => {
          const op = target.atomic();
          const p: Deno.AtomicOperation = new Proxy(op, {
            get(t, q) {
              if (q === "set") {
                return (key: Deno.KvKey, value: Uint8Array) => {
                  state.counts.sets++;
                  state.counts.setBytes += value.byteLength;
                  t.set(key, value);
                  return p;
                };
              }
              if (q === "delete") {
                return (key: Deno.KvKey) => {
                  state.counts.deletes++;
                  t.delete(key);
                  return p;
                };
              }
              if (q === "commit") {
                return () => {
                  if (state.counts.commits >= state.failAfter) {
                    return Promise.reject(new Error("injected KV failure"));
                  }
                  state.counts.commits++;
                  return t.commit();
                };
              }
              const v = Reflect.get(t, q);
              return typeof v === "function"
                ? (...a: unknown[]) => {
                  const r = v.apply(t, a);
                  return r === t ? p : r;
                }
                : v;
            },
          });
          return p;
        };
      }
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return {
    kv: wrapped,
    get counts() {
      return state.counts;
    },
    get failAfter() {
      return state.failAfter;
    },
    set failAfter(n: number) {
      state.failAfter = n;
    },
  };
}

/** Every key of the KV, as JSON strings (for "nothing else is left" checks). */
export async function allKeys(kv: Deno.Kv, prefix: Deno.KvKey = []): Promise<string[]> {
  const keys: string[] = [];
  for await (const { key } of kv.list({ prefix })) keys.push(JSON.stringify(key));
  return keys;
}
