/**
 * @module The cache as the request handlers see it: a tap on responses going to clients, and
 * lookups for answering offline. Implemented over the Deno KV store in `src/cache/`.
 */
import type { ListObserver } from "../filter/list_filter_stream.ts";
import type { ItemView } from "../filter/rules.ts";
import type { WatchObserver } from "../filter/watch_filter_stream.ts";
import type { ProxyRequest } from "./proxy_deps.ts";

/** Receives what one client response carried. Calls after abort/skip are ignored. */
export interface RequestTap {
  /**
   * Observes a list body. With `tableRows`, the items are the rows of a Table whose rows
   * embed their whole object (`includeObject=Object`): the objects are cached as a plain list.
   */
  listObserver(options?: { tableRows?: boolean }): ListObserver;
  watchObserver(): WatchObserver;
  /** A single object a get returned. */
  object(bytes: Uint8Array, view: ItemView): void;
  /** The response is not cacheable after all (an error status, a metadata-only view). */
  skip(): void;
  /** The response failed or was cut: keep the previous complete entry. */
  abort(reason: string): void;
}

/** One cached object. */
export interface CachedItem {
  namespace: string;
  name: string;
  bytes: Uint8Array;
}

/** A complete cached collection covering a request. Call `release()` when done reading. */
export interface CachedCollection {
  listKind: string;
  apiVersion: string;
  resourceVersion: string;
  /** When it was last confirmed by the apiserver (ms since epoch). */
  updatedAt: number;
  /** True when it covers the request with no selector narrowing: absence proves NotFound. */
  exhaustive: boolean;
  items(): AsyncIterable<CachedItem>;
  get(namespace: string, name: string): Promise<Uint8Array | null>;
  release(): void;
}

/** The cache, per request. */
export interface CacheTap {
  /** A tap for a read request, or null when its resource or client is not cached. */
  forRequest(p: ProxyRequest): Promise<RequestTap | null>;
  /** The best complete collection covering a list, watch or get; null when none does. */
  lookup(p: ProxyRequest): Promise<CachedCollection | null>;
  /** Finishes or abandons pending writes. */
  close(): Promise<void>;
}
