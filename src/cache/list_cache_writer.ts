/**
 * @module Writes one list response into the cache without ever holding up the client.
 *
 * The HTTP side `push()`es items synchronously into a bounded queue; a background loop writes
 * the changed ones at the pending generation `meta.gen + 1` in budget-sized commits, writes
 * tombstones for objects the new list lacks, then flips the meta in one checked commit. Until
 * that flip nothing is visible; on any failure the pending generation is deleted and the
 * previous complete entry stays as it was.
 */
import { type EntryRef, metaKey, objectKey } from "./cache_keys.ts";
import {
  type CacheLogger,
  type CacheStats,
  type CacheWriteOptions,
  createCacheStats,
  silentLogger,
} from "./cache_stats.ts";
import { ByteBudgetQueue } from "./byte_budget_queue.ts";
import { CommitBatch } from "./commit_batch.ts";
import { compactNames } from "./compact_names.ts";
import { entryGuard, guardKey, type IndexedVersion, type RememberedIndex } from "./entry_guard.ts";
import {
  deleteAboveGen,
  type EntryIndex,
  type IndexedObject,
  loadEntryIndex,
  nameKey,
} from "./entry_index.ts";
import { encodeMeta, type ListInfo, metaFor, readMeta } from "./entry_meta.ts";
import { encodeRecord, encodeTombstone } from "./record_codec.ts";

export type { CacheWriteOptions };

/** One object of a list, as the client received it. */
export interface CacheItem {
  namespace: string;
  name: string;
  resourceVersion: string;
  /** The object's JSON bytes; the writer keeps a reference, so do not reuse the buffer. */
  bytes: Uint8Array;
}

/** A queued item: `bytes` is null for one the caller found unchanged ({@linkcode ListCacheWriter.pushUnchanged}). */
interface QueuedItem {
  namespace: string;
  name: string;
  resourceVersion: string;
  bytes: Uint8Array | null;
  plainLength: number;
}

/** Queue bytes charged for an item queued without its body. */
const UNCHANGED_ITEM_BYTES = 64;

/** Options of {@linkcode ListCacheWriter}. */
export interface ListCacheWriterOptions extends CacheWriteOptions {
  /** Bytes queued and not yet written before the writer gives up. @default 32 MiB */
  maxQueueBytes?: number;
  /** Give up when neither `push` nor `end` came for this long (a dropped client). @default 60000 */
  idleTimeoutMs?: number;
}

/** How a list write ended. */
export type ListWriteResult = "committed" | "abandoned";

class Stop extends Error {}

/**
 * Caches one list (all its pages) as a new generation of an entry.
 *
 * Never throws to the HTTP side: `push` returns false once the writer has given up, and
 * `done` resolves (never rejects) to `"committed"` or `"abandoned"`. Creating a writer for an
 * entry abandons that entry's unfinished writer, if any (a broken continue chain).
 *
 * @example
 * ```ts
 * import { entryRef } from "./cache_keys.ts";
 * import { ListCacheWriter } from "./list_cache_writer.ts";
 * const kv = await Deno.openKv(":memory:");
 * const entry = await entryRef("kubectl.x", { resource: "configmaps", namespace: "a" });
 * const w = new ListCacheWriter(kv, entry);
 * w.push({ namespace: "a", name: "c", resourceVersion: "5", bytes: new Uint8Array([123, 125]) });
 * await w.end({ listKind: "ConfigMapList", apiVersion: "v1", resourceVersion: "5" });
 * kv.close();
 * ```
 */
export class ListCacheWriter {
  /** Settles when the write is committed (and compacted) or abandoned. */
  readonly done: Promise<ListWriteResult>;
  readonly #kv: Deno.Kv;
  readonly #entry: EntryRef;
  readonly #key: string;
  readonly #opts: ListCacheWriterOptions;
  readonly #stats: CacheStats;
  readonly #log: CacheLogger;
  readonly #maxQueueBytes: number;
  readonly #queue: ByteBudgetQueue<QueuedItem>;
  #ended: ListInfo | null = null;
  #stop: { reason: string; failure: boolean } | null = null;
  #finished = false;
  #lastActivity = Date.now();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(kv: Deno.Kv, entry: EntryRef, options: ListCacheWriterOptions = {}) {
    this.#kv = kv;
    this.#entry = entry;
    this.#key = guardKey(entry);
    this.#opts = options;
    this.#stats = options.stats ?? createCacheStats();
    this.#log = options.logger ?? silentLogger;
    this.#maxQueueBytes = options.maxQueueBytes ?? 32 * 1024 * 1024;
    this.#queue = new ByteBudgetQueue(
      this.#maxQueueBytes,
      (i) => i.bytes?.byteLength ?? UNCHANGED_ITEM_BYTES,
    );
    entryGuard(kv).setListWriter(this.#key, this);
    this.#armIdleTimer(options.idleTimeoutMs ?? 60_000);
    this.done = this.#run();
  }

  /**
   * Queues an item. Synchronous and non-blocking. Returns false when the writer has given
   * up or ended: the caller simply stops pushing (its response is unaffected).
   */
  push(item: CacheItem): boolean {
    return this.#offer({ ...item, plainLength: item.bytes.byteLength });
  }

  /**
   * True when the entry's last committed list, as this process remembers it, has this very
   * object version: the caller may then {@linkcode pushUnchanged} it without copying its
   * bytes. A hint only: the writer re-checks against the entry as it finds it.
   */
  knowsUnchanged(
    namespace: string,
    name: string,
    resourceVersion: string,
    length: number,
  ): boolean {
    const old = entryGuard(this.#kv).recallIndex(this.#key)?.objects.get(nameKey(namespace, name));
    return old !== undefined && old.resourceVersion === resourceVersion &&
      old.plainLength === length;
  }

  /**
   * Queues an object that {@linkcode knowsUnchanged} vouched for, without its bytes. Should the
   * entry have changed since (then the bytes would be needed), the writer gives up on this list
   * and the previous entry stays. Same contract as {@linkcode push} otherwise.
   */
  pushUnchanged(namespace: string, name: string, resourceVersion: string, length: number): boolean {
    return this.#offer({ namespace, name, resourceVersion, bytes: null, plainLength: length });
  }

  #offer(item: QueuedItem): boolean {
    if (this.#stop || this.#ended || this.#finished) return false;
    this.#lastActivity = Date.now();
    if (this.#queue.offer(item)) return true;
    this.#giveUp(`queue over ${this.#maxQueueBytes} bytes`, true);
    return false;
  }

  /** The list is complete (its last page arrived): commit and flip. Returns `done`. */
  end(info: ListInfo): Promise<ListWriteResult> {
    if (!this.#stop && !this.#ended && !this.#finished) {
      this.#ended = info;
      this.#queue.close();
    }
    return this.done;
  }

  /** Abandons the pending generation (client error, broken continue chain); no-op after `end`. */
  abort(reason = "aborted"): void {
    if (this.#ended) return;
    this.#giveUp(reason, false);
  }

  #giveUp(reason: string, failure: boolean): void {
    if (this.#stop || this.#finished) return;
    this.#stop = { reason, failure };
    this.#queue.clear();
  }

  #throwIfStopped(): void {
    if (this.#stop) throw new Stop(this.#stop.reason);
  }

  #armIdleTimer(idleMs: number): void {
    const check = () => {
      if (this.#finished || this.#ended || this.#stop) return;
      const left = this.#lastActivity + idleMs - Date.now();
      if (left <= 0) this.#giveUp(`no page for ${idleMs} ms`, true);
      else this.#timer = setTimeout(check, left);
    };
    this.#timer = setTimeout(check, idleMs);
  }

  async #next(): Promise<QueuedItem | null> {
    const item = await this.#queue.take();
    this.#throwIfStopped();
    return item;
  }

  async #run(): Promise<ListWriteResult> {
    const kv = this.#kv;
    const entry = this.#entry;
    const guard = entryGuard(kv);
    const release = await guard.lock(this.#key);
    const batch = new CommitBatch(kv);
    const compact = new Set<string>();
    let committed = false;
    let base = 0;
    let stamp = "";
    let objects: Map<string, IndexedVersion> | null = null;
    try {
      this.#throwIfStopped();
      const { meta, versionstamp } = await readMeta(kv, entry);
      base = meta?.gen ?? 0;
      const gen = base + 1;
      const remembered = guard.recallIndex(this.#key);
      // Unchanged since this process committed it: no record needs reading, and nothing lies
      // above the meta (an abandoned write forgets the index). Otherwise scan, which also
      // deletes anything left above the meta by an earlier abandoned write.
      const index = meta && remembered?.versionstamp === versionstamp && !guard.isDirty(this.#key)
        ? indexFrom(remembered)
        : await loadEntryIndex(kv, entry, base);
      guard.setDirty(this.#key, false);
      for (const nk of index.compactable) compact.add(nk);
      const codec = this.#opts.codec;
      for (let item = await this.#next(); item; item = await this.#next()) {
        const nk = nameKey(item.namespace, item.name);
        const old = index.objects.get(nk);
        if (old) {
          old.seen = true;
          if (
            old.resourceVersion === item.resourceVersion &&
            old.plainLength === item.plainLength
          ) {
            this.#stats.recordsUnchanged++;
            continue;
          }
          compact.add(nk);
        }
        if (item.bytes === null) {
          // The list is older than what the entry holds now (an apiserver cache behind a
          // watch): rare, and the next list caches it; the previous entry stays meanwhile.
          const why = `${nk.replace("\u0000", "/")} changed after it was vouched unchanged`;
          this.#giveUp(why, false);
          throw new Stop(why);
        }
        index.objects.set(nk, {
          resourceVersion: item.resourceVersion,
          plainLength: item.plainLength,
          seen: true,
        });
        const stored = codec ? await codec.encode(item.bytes) : item.bytes;
        const chunks = encodeRecord({
          type: "object",
          plainLength: item.plainLength,
          storedLength: stored.byteLength,
          resourceVersion: item.resourceVersion,
        }, stored);
        for (let i = 0; i < chunks.length; i++) {
          await batch.set(objectKey(entry, item.namespace, item.name, gen, i), chunks[i]);
        }
        this.#stats.recordsWritten++;
      }
      const info = this.#ended!;
      for (const [nk, old] of index.objects) {
        if (old.seen) continue;
        const [namespace, name] = nk.split("\u0000");
        const chunk = encodeTombstone(info.resourceVersion);
        await batch.set(objectKey(entry, namespace, name, gen, 0), chunk);
        index.objects.delete(nk);
        compact.add(nk);
        this.#stats.recordsWritten++;
        this.#throwIfStopped();
      }
      this.#throwIfStopped();
      const next = metaFor(entry, info, gen, (this.#opts.now ?? Date.now)());
      await batch.flush({
        check: { key: metaKey(entry), versionstamp },
        key: metaKey(entry),
        value: encodeMeta(next),
      });
      committed = true;
      guard.setKnownResourceVersion(this.#key, info.resourceVersion);
      stamp = batch.lastVersionstamp;
      objects = index.objects;
      this.#stats.listsCommitted++;
    } catch (err) {
      await this.#abandon(err, base, batch.commits > 0);
    } finally {
      this.#stats.bytesWritten += batch.bytesCommitted;
      this.#finished = true;
      clearTimeout(this.#timer);
      entryGuard(kv).clearListWriter(this.#key, this);
      release();
    }
    if (!committed) return "abandoned";
    try {
      const deleted = await compactNames(kv, entry, compact, {
        drainTimeoutMs: this.#opts.drainTimeoutMs,
      });
      // Remembered only when compaction ran, so the next writer has nothing to compact.
      if (deleted >= 0 && objects) guard.rememberIndex(this.#key, { versionstamp: stamp, objects });
      else guard.forgetIndex(this.#key);
    } catch (err) {
      guard.forgetIndex(this.#key);
      this.#log("warn", "Cache compaction failed; stale records stay until the next write", {
        ...this.#describe(),
        error: String(err),
      });
    }
    return "committed";
  }

  /** Deletes the pending generation; on failure marks the entry for the next writer. */
  async #abandon(err: unknown, base: number, wrote: boolean): Promise<void> {
    entryGuard(this.#kv).forgetIndex(this.#key);
    const deliberate = err instanceof Stop && !this.#stop?.failure;
    const reason = err instanceof Stop ? err.message : String(err);
    if (deliberate) this.#stats.listsAborted++;
    else this.#stats.writeFailures++;
    this.#log(deliberate ? "debug" : "warn", `Cache write abandoned: ${reason}`, this.#describe());
    if (!wrote) return;
    try {
      const { meta } = await readMeta(this.#kv, this.#entry);
      await deleteAboveGen(this.#kv, this.#entry, Math.max(base, meta?.gen ?? 0));
    } catch (cleanupErr) {
      entryGuard(this.#kv).setDirty(this.#key, true);
      this.#log("warn", "Cache cleanup of an abandoned write failed; the next write retries", {
        ...this.#describe(),
        error: String(cleanupErr),
      });
    }
  }

  #describe(): Record<string, unknown> {
    const e = this.#entry;
    return {
      resource: e.resource,
      namespace: e.namespace,
      labelSelector: e.labelSelector,
      fieldSelector: e.fieldSelector,
      partition: e.partition,
    };
  }
}

/** A fresh index (nothing seen yet, nothing to compact) from a remembered one. */
function indexFrom(remembered: RememberedIndex): EntryIndex {
  const objects = new Map<string, IndexedObject>();
  for (const [nk, v] of remembered.objects) {
    objects.set(nk, {
      resourceVersion: v.resourceVersion,
      plainLength: v.plainLength,
      seen: false,
    });
  }
  return { objects, compactable: new Set(), maxGen: 0, garbageDeleted: 0 };
}
