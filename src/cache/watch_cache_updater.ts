/**
 * @module Keeps a cached entry current from a watch stream: one event, one new generation.
 *
 * An event's record and the meta flip (new gen, new resourceVersion) go in one atomic commit,
 * or in several when the object is too large for one, the meta last. A meta at resourceVersion
 * R always reflects every event up to R, so an event at or below R is skipped, and a stream
 * may only update an entry whose resourceVersion is at least where the stream started
 * (otherwise events in between would be missing: the stream stops updating instead).
 */
import { type EntryRef, metaKey, objectKey } from "./cache_keys.ts";
import { type CacheWriteOptions, createCacheStats, silentLogger } from "./cache_stats.ts";
import { CommitBatch } from "./commit_batch.ts";
import { compactNames } from "./compact_names.ts";
import { entryGuard, guardKey } from "./entry_guard.ts";
import { deleteAboveGen, nameKey } from "./entry_index.ts";
import { compareResourceVersions, encodeMeta, readMeta } from "./entry_meta.ts";
import { encodeRecord, encodeTombstone } from "./record_codec.ts";

/** One watch event, reduced to what the cache needs. */
export interface WatchUpdate {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK";
  namespace: string;
  name: string;
  /** The event object's `metadata.resourceVersion`. */
  resourceVersion: string;
  /** The object's JSON bytes (ADDED, MODIFIED); unused for DELETED and BOOKMARK. */
  bytes?: Uint8Array;
}

/**
 * `applied`: written; `skipped`: not newer than the entry; `gap`: the entry's resourceVersion
 * is older than `after` (events would be missing); `no-entry`: no complete entry; `failed`:
 * a KV error (logged, counted, the entry unchanged).
 */
export type WatchApplyResult = "applied" | "skipped" | "gap" | "no-entry" | "failed";

/** Options of {@linkcode applyWatchEvent}. */
export interface ApplyWatchOptions extends CacheWriteOptions {
  /** The resourceVersion the caller's stream is known complete after; see `gap`. */
  after?: string;
}

/**
 * Applies one watch event to an entry. Never throws: failures are logged, counted, and
 * reported as `failed`, with the entry left at its previous generation.
 */
export async function applyWatchEvent(
  kv: Deno.Kv,
  entry: EntryRef,
  event: WatchUpdate,
  options: ApplyWatchOptions = {},
): Promise<WatchApplyResult> {
  const stats = options.stats ?? createCacheStats();
  const log = options.logger ?? silentLogger;
  const guard = entryGuard(kv);
  const gk = guardKey(entry);
  // Another watch of this client already applied it (checked again under the lock).
  const applied = () => {
    const known = guard.knownResourceVersion(gk);
    const c = known === undefined ? null : compareResourceVersions(event.resourceVersion, known);
    return c !== null && c <= 0;
  };
  if (applied()) {
    stats.watchEventsSkipped++;
    return "skipped";
  }
  const release = await guard.lock(gk);
  if (applied()) {
    release();
    stats.watchEventsSkipped++;
    return "skipped";
  }
  const batch = new CommitBatch(kv);
  let base = 0;
  let fromStamp = "", toStamp = "";
  try {
    const { meta, versionstamp } = await readMeta(kv, entry);
    if (!meta) return "no-entry";
    base = meta.gen;
    if (options.after !== undefined) {
      const c = compareResourceVersions(meta.resourceVersion, options.after);
      if (c === null ? meta.resourceVersion !== options.after : c < 0) return "gap";
    }
    const c = compareResourceVersions(event.resourceVersion, meta.resourceVersion);
    if (c !== null && c <= 0) {
      stats.watchEventsSkipped++;
      return "skipped";
    }
    const next = {
      ...meta,
      resourceVersion: event.resourceVersion,
      updatedAt: (options.now ?? Date.now)(),
    };
    if (event.type !== "BOOKMARK") {
      if (guard.isDirty(gk)) {
        await deleteAboveGen(kv, entry, meta.gen);
        guard.setDirty(gk, false);
      }
      next.gen = meta.gen + 1;
      let chunks: Uint8Array[];
      if (event.type === "DELETED") {
        chunks = [encodeTombstone(event.resourceVersion)];
      } else {
        if (!event.bytes) throw new TypeError(`Watch event ${event.type} has no object bytes`);
        const stored = options.codec ? await options.codec.encode(event.bytes) : event.bytes;
        chunks = encodeRecord({
          type: "object",
          plainLength: event.bytes.byteLength,
          storedLength: stored.byteLength,
          resourceVersion: event.resourceVersion,
        }, stored);
      }
      for (let i = 0; i < chunks.length; i++) {
        await batch.set(objectKey(entry, event.namespace, event.name, next.gen, i), chunks[i]);
      }
      stats.recordsWritten++;
    }
    await batch.flush({
      check: { key: metaKey(entry), versionstamp },
      key: metaKey(entry),
      value: encodeMeta(next),
    });
    fromStamp = versionstamp ?? "";
    toStamp = batch.lastVersionstamp;
    guard.setKnownResourceVersion(gk, event.resourceVersion);
    stats.watchEventsApplied++;
  } catch (err) {
    guard.forgetIndex(gk);
    guard.setKnownResourceVersion(gk, null);
    stats.writeFailures++;
    log("warn", `Cache update from a watch event failed: ${err}`, {
      resource: entry.resource,
      namespace: entry.namespace,
      partition: entry.partition,
      event: event.type,
    });
    if (batch.commits > 0) {
      try {
        await deleteAboveGen(kv, entry, base);
      } catch {
        guard.setDirty(gk, true);
      }
    }
    return "failed";
  } finally {
    stats.bytesWritten += batch.bytesCommitted;
    release();
  }
  // Keeps the list writer's remembered index true, so kubelet's relist after a watch still
  // skips reading the entry back; only once compacted, since a remembered index promises the
  // next list writer that nothing is left to compact (until then its stamp is stale: a scan).
  const advance = () =>
    guard.advanceIndex(
      gk,
      fromStamp,
      toStamp,
      event.type === "BOOKMARK" ? undefined : {
        nameKey: nameKey(event.namespace, event.name),
        version: event.type === "DELETED" ? null : {
          resourceVersion: event.resourceVersion,
          plainLength: event.bytes!.byteLength,
        },
      },
    );
  if (event.type === "BOOKMARK") advance();
  else {
    try {
      const deleted = await compactNames(kv, entry, [nameKey(event.namespace, event.name)], {
        drainTimeoutMs: options.drainTimeoutMs,
      });
      if (deleted >= 0) advance();
      else guard.forgetIndex(gk);
    } catch (err) {
      guard.forgetIndex(gk);
      log("warn", `Cache compaction failed: ${err}`, { resource: entry.resource });
    }
  }
  return "applied";
}

/**
 * Applies one watch stream's events in order, callable without awaiting. Stops
 * for good (every later call answers `gap`) after a gap or a failure, because the entry would
 * otherwise claim a resourceVersion whose changes it lacks; a new stream starts a new updater.
 */
export class WatchCacheUpdater {
  readonly #kv: Deno.Kv;
  readonly #entry: EntryRef;
  readonly #options: CacheWriteOptions;
  #after: string;
  #chain: Promise<unknown> = Promise.resolve();
  #stopped = false;

  /** `since` is the resourceVersion the watch started from. */
  constructor(kv: Deno.Kv, entry: EntryRef, since: string, options: CacheWriteOptions = {}) {
    this.#kv = kv;
    this.#entry = entry;
    this.#after = since;
    this.#options = options;
  }

  /** True once this stream no longer updates the entry. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Queues an event behind the earlier ones. Never rejects. */
  apply(event: WatchUpdate): Promise<WatchApplyResult> {
    const run = async (): Promise<WatchApplyResult> => {
      if (this.#stopped) return "gap";
      const r = await applyWatchEvent(this.#kv, this.#entry, event, {
        ...this.#options,
        after: this.#after,
      });
      if (r === "gap" || r === "failed" || r === "no-entry") this.#stopped = true;
      else {
        // The stream has now delivered everything up to this event: the entry must not fall
        // behind it (a list committed from a stale cache would).
        const c = compareResourceVersions(event.resourceVersion, this.#after);
        if (c === null || c > 0) this.#after = event.resourceVersion;
      }
      return r;
    };
    const p = this.#chain.then(run);
    this.#chain = p;
    return p;
  }

  /** Settles when every queued event has been applied (tests, shutdown). */
  async idle(): Promise<void> {
    await this.#chain;
  }
}
