/**
 * @module Deno KV key layout of the cache: entry identity, object record keys and meta keys.
 *
 * Object records: `["o", partition, entryId, namespace, name, gen, chunkNo]`, so one prefix
 * scan walks an entry in (namespace, name, gen, chunk) order and a reader can stream it.
 * Entry meta: `["m", partition, entryId]`, so one prefix scan lists a client's entries.
 */
import { type FieldSelector, formatFieldSelector } from "../kube/field_selector.ts";
import { formatLabelSelector, type LabelSelector } from "../kube/label_selector.ts";

/** First key part of object records. */
export const OBJECT_PREFIX = "o";
/** First key part of entry metas. */
export const META_PREFIX = "m";

/** A cached collection for one client partition; selectors are in canonical text. */
export interface EntryRef {
  partition: string;
  /** Short hash of the other fields; the KV key part. */
  id: string;
  /** Resource key, e.g. `pods` or `endpointslices.discovery.k8s.io`. */
  resource: string;
  /** Namespace, or `""` for all namespaces (and for cluster-scoped resources). */
  namespace: string;
  labelSelector: string;
  fieldSelector: string;
}

/** What a list or get asked for, with parsed selectors. */
export interface EntrySpec {
  resource: string;
  namespace: string;
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  /** For a get: the entry becomes the collection with `metadata.name=<name>`. */
  name?: string;
}

/**
 * The entry a list or get is cached as. Selectors are canonicalised, so `b=2,a=1` and
 * `a=1,b=2` share an entry; a get is the list with field selector `metadata.name=<name>`.
 *
 * @example
 * ```ts
 * import { entryRef } from "./cache_keys.ts";
 * const e = await entryRef("kubelet.abc", { resource: "pods", namespace: "", name: "web-0" });
 * e.fieldSelector; // "metadata.name=web-0"
 * ```
 */
export async function entryRef(partition: string, spec: EntrySpec): Promise<EntryRef> {
  const fields = [...(spec.fieldSelector ?? [])];
  if (
    spec.name !== undefined &&
    !fields.some((r) => r.field === "metadata.name" && r.op === "=" && r.value === spec.name)
  ) {
    fields.push({ field: "metadata.name", op: "=", value: spec.name });
  }
  const labelSelector = formatLabelSelector(spec.labelSelector ?? []);
  const fieldSelector = formatFieldSelector(fields);
  const id = await entryIdOf(
    partition,
    spec.resource,
    spec.namespace,
    labelSelector,
    fieldSelector,
  );
  return {
    partition,
    id,
    resource: spec.resource,
    namespace: spec.namespace,
    labelSelector,
    fieldSelector,
  };
}

/** 128 bits of SHA-256: short in keys, and no two entries of a client ever collide. */
export async function entryIdOf(...parts: string[]): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(JSON.stringify(parts)),
  );
  return base64Url(new Uint8Array(digest, 0, 16));
}

/** Base64url without padding: compact and safe in any key or file name. */
export function base64Url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Key of an entry's meta. */
export function metaKey(entry: Pick<EntryRef, "partition" | "id">): Deno.KvKey {
  return [META_PREFIX, entry.partition, entry.id];
}

/** Prefix of all records of an entry, or of one namespace of it. */
export function entryPrefix(
  entry: Pick<EntryRef, "partition" | "id">,
  namespace?: string,
): Deno.KvKey {
  return namespace === undefined
    ? [OBJECT_PREFIX, entry.partition, entry.id]
    : [OBJECT_PREFIX, entry.partition, entry.id, namespace];
}

/** Prefix of all generations and chunks of one object. */
export function namePrefix(
  entry: Pick<EntryRef, "partition" | "id">,
  namespace: string,
  name: string,
): Deno.KvKey {
  return [OBJECT_PREFIX, entry.partition, entry.id, namespace, name];
}

/** Key of one chunk of one generation of one object. */
export function objectKey(
  entry: Pick<EntryRef, "partition" | "id">,
  namespace: string,
  name: string,
  gen: number,
  chunk: number,
): Deno.KvKey {
  return [OBJECT_PREFIX, entry.partition, entry.id, namespace, name, gen, chunk];
}

/** The parts of an object record key, or null for a key of another shape. */
export interface ObjectKeyParts {
  partition: string;
  id: string;
  namespace: string;
  name: string;
  gen: number;
  chunk: number;
}

/** Splits an object record key; null when the key is not one (never thrown: GC skips it). */
export function parseObjectKey(key: Deno.KvKey): ObjectKeyParts | null {
  if (key.length !== 7 || key[0] !== OBJECT_PREFIX) return null;
  const [, partition, id, namespace, name, gen, chunk] = key;
  if (
    typeof partition !== "string" || typeof id !== "string" || typeof namespace !== "string" ||
    typeof name !== "string" || typeof gen !== "number" || typeof chunk !== "number"
  ) return null;
  return { partition, id, namespace, name, gen, chunk };
}

/**
 * Upper bound of a key's size in a commit. Kubernetes names and our partitions are ASCII,
 * so length plus framing is close; the commit budget keeps 100 KiB of slack for the rest.
 */
export function estimateKeyBytes(key: Deno.KvKey): number {
  let n = 0;
  for (const part of key) n += (typeof part === "string" ? part.length : 9) + 2;
  return n;
}
