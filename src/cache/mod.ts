/**
 * @module The Deno KV cache storage layer: what the request handlers import.
 *
 * Write: {@linkcode ListCacheWriter} (lists, all pages), {@linkcode WatchCacheUpdater} /
 * {@linkcode applyWatchEvent} (watch streams). Read: {@linkcode findCoveringEntry}, then
 * {@linkcode readEntry} or {@linkcode getObject}. Open: {@linkcode openCache}.
 */
export { aesGcmCodec, loadAesGcmCodec } from "./aes_gcm_codec.ts";
export { type EntryRef, entryRef, type EntrySpec } from "./cache_keys.ts";
export {
  type CacheLogger,
  type CacheLogLevel,
  type CacheStats,
  createCacheStats,
} from "./cache_stats.ts";
export { collectGarbage, type GarbageReport } from "./collect_garbage.ts";
export { type CoveringEntry, type CoverRequest, findCoveringEntry } from "./covering_entry.ts";
export { type EntryMeta, type ListInfo } from "./entry_meta.ts";
export {
  type CachedObject,
  type EntrySnapshot,
  getObject,
  readEntry,
  type ReadEntryOptions,
} from "./entry_reader.ts";
export {
  type CacheItem,
  type CacheWriteOptions,
  ListCacheWriter,
  type ListCacheWriterOptions,
  type ListWriteResult,
} from "./list_cache_writer.ts";
export { guardKey } from "./entry_guard.ts";
export { openCache } from "./open_cache.ts";
export { fingerprint, partitionOf } from "./partition.ts";
export type { RecordCodec } from "./record_codec.ts";
export {
  applyWatchEvent,
  type WatchApplyResult,
  WatchCacheUpdater,
  type WatchUpdate,
} from "./watch_cache_updater.ts";
