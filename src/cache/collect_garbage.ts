/**
 * @module Start-up sweep: removes what interrupted writes and skipped compactions left behind.
 *
 * Deletes records above their entry's meta generation (a write that crashed before its flip),
 * records of entries without a meta (a first list that never completed), unreadable metas,
 * and records superseded by a newer visible record or hidden by a tombstone. Run it before the
 * cache serves anything: it takes no entry locks.
 */
import { META_PREFIX, OBJECT_PREFIX, parseObjectKey } from "./cache_keys.ts";
import { CommitBatch } from "./commit_batch.ts";
import { decodeMeta } from "./entry_meta.ts";
import { decodeHeader } from "./record_codec.ts";

/** What a sweep did. */
export interface GarbageReport {
  /** Complete entries found. */
  entries: number;
  /** Record chunks deleted. */
  recordsDeleted: number;
  /** Unreadable metas deleted. */
  metasDeleted: number;
}

interface Held {
  key: Deno.KvKey;
  gen: number;
  tombstone: boolean;
}

/**
 * Sweeps the whole cache.
 *
 * @throws the KV error when reading or deleting fails (for a corrupt file, `openCache` moves
 * the file aside).
 */
export async function collectGarbage(kv: Deno.Kv): Promise<GarbageReport> {
  const batch = new CommitBatch(kv);
  const gens = new Map<string, number>();
  let metasDeleted = 0;
  for await (const { key, value } of kv.list({ prefix: [META_PREFIX] })) {
    const meta = decodeMeta(value);
    if (meta && key.length === 3) gens.set(`${String(key[1])}\u0000${String(key[2])}`, meta.gen);
    else {
      await batch.delete(key);
      metasDeleted++;
    }
  }
  let recordsDeleted = 0;
  let group = "";
  let held: Held[] = [];
  const closeGroup = async () => {
    let newest = -1;
    let tombstone = false;
    for (const h of held) {
      if (h.gen >= newest) {
        newest = h.gen;
        tombstone = h.tombstone;
      }
    }
    // Held records are in key order (ascending gen), so the tombstone is deleted last.
    for (const h of held) {
      if (h.gen < newest || tombstone) {
        await batch.delete(h.key);
        recordsDeleted++;
      }
    }
    held = [];
  };
  for await (
    const { key, value } of kv.list({ prefix: [OBJECT_PREFIX] }, { batchSize: 200 })
  ) {
    const k = parseObjectKey(key);
    const metaGen = k ? gens.get(`${k.partition}\u0000${k.id}`) : undefined;
    if (!k || metaGen === undefined || k.gen > metaGen) {
      await batch.delete(key);
      recordsDeleted++;
      continue;
    }
    const g = `${k.partition}\u0000${k.id}\u0000${k.namespace}\u0000${k.name}`;
    if (g !== group) {
      await closeGroup();
      group = g;
    }
    let tombstone = false;
    if (k.chunk === 0) {
      try {
        tombstone = decodeHeader(value as Uint8Array).header.type === "tombstone";
      } catch {
        // Unreadable: treat like a tombstone so it is removed and the next list rewrites it.
        tombstone = true;
      }
    }
    // A tail chunk takes the type of its generation's chunk 0 (held just before it).
    const prev = held.at(-1);
    if (k.chunk !== 0 && prev && prev.gen === k.gen) tombstone = prev.tombstone;
    held.push({ key, gen: k.gen, tombstone });
  }
  await closeGroup();
  await batch.flush();
  return { entries: gens.size, recordsDeleted, metasDeleted };
}
