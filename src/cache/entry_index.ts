/**
 * @module What an entry holds, by name only: the basis of write-minimal list replacement.
 *
 * One scan of the entry's records yields, for each visible object, its resourceVersion and
 * length (never its body), the names that need compaction, and deletes leftovers above the
 * meta's generation so a new pending generation starts clean.
 */
import { entryPrefix, type EntryRef, parseObjectKey } from "./cache_keys.ts";
import { CommitBatch } from "./commit_batch.ts";
import { decodeHeader, type RecordHeader } from "./record_codec.ts";

/** The stored version of one visible object. */
export interface IndexedObject {
  resourceVersion: string;
  plainLength: number;
  /** Set by the writer when the new list contains the object. */
  seen: boolean;
}

/** Result of scanning an entry at a generation. */
export interface EntryIndex {
  /** Visible objects by `nameKey(namespace, name)`. */
  objects: Map<string, IndexedObject>;
  /** Names with superseded records or a visible tombstone: compaction has work there. */
  compactable: Set<string>;
  /** Highest generation found, garbage included. */
  maxGen: number;
  /** Records (chunks) deleted because they were above `gen` or unreadable. */
  garbageDeleted: number;
}

/** One string for a (namespace, name) pair; neither can contain NUL. */
export function nameKey(namespace: string, name: string): string {
  return `${namespace}\u0000${name}`;
}

/** The (namespace, name) pair of a `nameKey`. */
export function splitNameKey(key: string): [string, string] {
  const i = key.indexOf("\u0000");
  return [key.slice(0, i), key.slice(i + 1)];
}

/**
 * Scans an entry as of generation `gen`, deleting records above it. Call with the entry's
 * writer lock held, so no other writer's pending records are deleted.
 *
 * @throws the KV error when reading or deleting fails.
 */
export async function loadEntryIndex(
  kv: Deno.Kv,
  entry: Pick<EntryRef, "partition" | "id">,
  gen: number,
): Promise<EntryIndex> {
  const objects = new Map<string, IndexedObject>();
  const compactable = new Set<string>();
  const batch = new CommitBatch(kv);
  let maxGen = 0;
  let garbageDeleted = 0;
  let group = "";
  let visible = 0;
  let latest: RecordHeader | null = null;
  const closeGroup = () => {
    if (latest?.type === "object") {
      objects.set(group, {
        resourceVersion: latest.resourceVersion,
        plainLength: latest.plainLength,
        seen: false,
      });
    }
    if (visible > 1 || latest?.type === "tombstone") compactable.add(group);
    visible = 0;
    latest = null;
  };
  for await (const { key, value } of kv.list({ prefix: entryPrefix(entry) })) {
    const k = parseObjectKey(key);
    if (!k) continue;
    if (k.gen > maxGen) maxGen = k.gen;
    const nk = nameKey(k.namespace, k.name);
    if (nk !== group) {
      closeGroup();
      group = nk;
    }
    if (k.gen > gen) {
      await batch.delete(key);
      garbageDeleted++;
      continue;
    }
    if (k.chunk !== 0) continue;
    try {
      latest = decodeHeader(value as Uint8Array).header;
      visible++;
    } catch {
      // A record this version cannot read is worth less than nothing: drop it, the new list
      // rewrites the object.
      await batch.delete(key);
      garbageDeleted++;
    }
  }
  closeGroup();
  await batch.flush();
  return { objects, compactable, maxGen, garbageDeleted };
}

/**
 * Deletes an entry's records above generation `gen` (an abandoned pending generation).
 * Call with the entry's writer lock held. Returns the number of chunks deleted.
 *
 * @throws the KV error when reading or deleting fails.
 */
export async function deleteAboveGen(
  kv: Deno.Kv,
  entry: Pick<EntryRef, "partition" | "id">,
  gen: number,
): Promise<number> {
  const batch = new CommitBatch(kv);
  let n = 0;
  for await (const { key } of kv.list({ prefix: entryPrefix(entry) })) {
    const k = parseObjectKey(key);
    if (k && k.gen > gen) {
      await batch.delete(key);
      n++;
    }
  }
  await batch.flush();
  return n;
}
