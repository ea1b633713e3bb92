/**
 * @module Compaction: delete records that a newer visible record (or a tombstone) supersedes.
 *
 * Runs after a meta flip, only over the names that flip touched, so its cost follows the
 * change, not the entry's size. It first waits for readers that began before it (they may be
 * walking the older generation), and skips its work if one never finishes: stale records are
 * harmless, the next list writer or the start-up collection finds them again.
 */
import { type EntryRef, namePrefix, parseObjectKey } from "./cache_keys.ts";
import { CommitBatch } from "./commit_batch.ts";
import { entryGuard, guardKey } from "./entry_guard.ts";
import { readMeta } from "./entry_meta.ts";
import { splitNameKey } from "./entry_index.ts";
import { decodeHeader } from "./record_codec.ts";

/** Options of {@linkcode compactNames}. */
export interface CompactOptions {
  /** How long to wait for older readers before skipping. @default 30000 */
  drainTimeoutMs?: number;
}

/**
 * Compacts the given names (`nameKey` strings) of an entry. Returns the number of chunks
 * deleted, or -1 when skipped because an older reader did not finish in time.
 *
 * Safe without the writer lock: it reads the meta's generation first and only deletes records
 * at or below it that a newer visible record supersedes; a tombstone goes last, after (or in
 * the same commit as) everything it hides, so a crash never resurrects a deleted object.
 *
 * @throws the KV error when reading or deleting fails.
 */
export async function compactNames(
  kv: Deno.Kv,
  entry: Pick<EntryRef, "partition" | "id">,
  names: Iterable<string>,
  options: CompactOptions = {},
): Promise<number> {
  const drained = await entryGuard(kv).drain(guardKey(entry), options.drainTimeoutMs ?? 30_000);
  if (!drained) return -1;
  const { meta } = await readMeta(kv, entry);
  if (!meta) return 0;
  const batch = new CommitBatch(kv);
  let deleted = 0;
  for (const nk of names) {
    const [namespace, name] = splitNameKey(nk);
    const records: { key: Deno.KvKey; gen: number; tombstone: boolean }[] = [];
    let newest = -1;
    let newestIsTombstone = false;
    for await (const { key, value } of kv.list({ prefix: namePrefix(entry, namespace, name) })) {
      const k = parseObjectKey(key);
      if (!k || k.gen > meta.gen) continue;
      let tombstone = false;
      if (k.chunk === 0) {
        try {
          tombstone = decodeHeader(value as Uint8Array).header.type === "tombstone";
        } catch {
          tombstone = false;
        }
        newest = k.gen;
        newestIsTombstone = tombstone;
      }
      records.push({ key, gen: k.gen, tombstone });
    }
    if (newest < 0) continue;
    // Keep the per-name deletes in one commit when they fit, otherwise in key order.
    if (batch.pending > 0 && batch.pending + records.length > 900) await batch.flush();
    for (const r of records) {
      if (r.gen < newest || (r.gen === newest && newestIsTombstone)) {
        await batch.delete(r.key);
        deleted++;
      }
    }
  }
  await batch.flush();
  return deleted;
}
