/**
 * @module Counters, the logger callback and the options every cache writer is given.
 *
 * The cache logs through a callback instead of importing the app's logger, so tests capture
 * lines and the lead decides the category; the counters feed `/metrics`.
 */

import type { RecordCodec } from "./record_codec.ts";

/** Severity of a cache log line. */
export type CacheLogLevel = "debug" | "info" | "warn" | "error";

/** Receives cache log lines. Properties never carry object bodies or credentials. */
export type CacheLogger = (
  level: CacheLogLevel,
  message: string,
  properties?: Record<string, unknown>,
) => void;

/** Running totals of cache writes; shared by all writers given the same object. */
export interface CacheStats {
  /** Lists whose meta flipped. */
  listsCommitted: number;
  /** Writes given up: queue overflow, KV error, idle timeout, lost flip. */
  writeFailures: number;
  /** Lists abandoned on purpose (`abort()`, a new list of the same entry). */
  listsAborted: number;
  /** Lists not cached because the same entry was being written from another list. */
  listsSkippedBusy: number;
  /** Object records written (objects and tombstones). */
  recordsWritten: number;
  /** Objects not written because the same resourceVersion and length were stored. */
  recordsUnchanged: number;
  /** Value and key bytes committed to KV. */
  bytesWritten: number;
  watchEventsApplied: number;
  watchEventsSkipped: number;
}

/** Fresh counters, all zero. */
export function createCacheStats(): CacheStats {
  return {
    listsCommitted: 0,
    writeFailures: 0,
    listsAborted: 0,
    listsSkippedBusy: 0,
    recordsWritten: 0,
    recordsUnchanged: 0,
    bytesWritten: 0,
    watchEventsApplied: 0,
    watchEventsSkipped: 0,
  };
}

/** A logger that drops everything: the default when none is passed. */
export const silentLogger: CacheLogger = () => {};

/** Options shared by the cache's writers. */
export interface CacheWriteOptions {
  /** @default a logger that drops everything */
  logger?: CacheLogger;
  /** Counters to add to; @default private counters */
  stats?: CacheStats;
  /** Applied to payloads at rest; @default none */
  codec?: RecordCodec;
  /** Clock for `updatedAt`. @default Date.now */
  now?: () => number;
  /** How long compaction waits for older readers. @default 30000 */
  drainTimeoutMs?: number;
}
