/**
 * @module `createCacheTap()`: the {@linkcode CacheTap} over the Deno KV store — which requests
 * are cached, under which client partition and entry, and how pages, watches and gets feed it.
 */
import type { Logger } from "@logtape/logtape";
import type { Metrics } from "../admin/metrics.ts";
import {
  type CacheLogger,
  createCacheStats,
  entryRef,
  findCoveringEntry,
  fingerprint,
  getObject,
  guardKey,
  ListCacheWriter,
  loadAesGcmCodec,
  partitionOf,
  readEntry,
  type RecordCodec,
  WatchCacheUpdater,
} from "../cache/mod.ts";
import type { Config } from "../config.ts";
import { ConfigError } from "../config_error.ts";
import { qualifiedResource } from "../kube/request_info.ts";
import type { UpstreamPool } from "../upstream/upstream_pool.ts";
import type { CachedCollection, CacheTap, RequestTap } from "./cache_tap.ts";
import { requestSelectors } from "./offline.ts";
import type { ProxyRequest } from "./proxy_deps.ts";
import { rowObjectBytes } from "../filter/byte_item_view.ts";

/** Kinds of the resources cached by default, for an empty Table list (which names none). */
const KINDS: Readonly<Record<string, string>> = {
  pods: "Pod",
  configmaps: "ConfigMap",
  secrets: "Secret",
  services: "Service",
  endpoints: "Endpoints",
  endpointslices: "EndpointSlice",
  nodes: "Node",
  namespaces: "Namespace",
};

/** What the tap needs besides the store. */
export interface CacheTapDeps {
  metrics: Metrics;
  log: Logger;
  now: () => number;
  pool: UpstreamPool;
}

async function* emptyItems(): AsyncGenerator<never> {}

async function partitionFor(p: ProxyRequest): Promise<string> {
  return partitionOf(p.userAgent, await fingerprint(p.req.headers.get("authorization")));
}

/**
 * Builds the tap. Reads `cache.encryptionKeyFile` when set.
 *
 * @throws {ConfigError} when the key file cannot be used.
 */
export async function createCacheTap(
  kv: Deno.Kv,
  config: Config,
  deps: CacheTapDeps,
): Promise<CacheTap> {
  const resources = new Set(config.cache.resources);
  const agents = config.cache.userAgents;
  let codec: RecordCodec | undefined;
  if (config.cache.encryptionKeyFile) {
    try {
      codec = await loadAesGcmCodec(config.cache.encryptionKeyFile);
    } catch (e) {
      throw new ConfigError(`Invalid "cache.encryptionKeyFile": ${(e as Error).message}`);
    }
  }
  const stats = createCacheStats();
  const logger: CacheLogger = (level, message, properties) => {
    // Cache messages are plain text: braces would read as LogTape placeholders.
    deps.log[level](message.replaceAll("{", "(").replaceAll("}", ")"), properties ?? {});
  };
  const opts = { logger, stats, codec, now: deps.now, maxQueueBytes: config.cache.maxPendingBytes };
  deps.metrics.onRender(() => {
    for (const [k, v] of Object.entries(stats)) {
      deps.metrics.set(
        `edge_proxy_cache_${k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`,
        `Cache writer ${k}`,
        {},
        v,
      );
    }
  });
  /** Paginated lists in progress: entry (guardKey) -> its writer and expected continue token. */
  const paged = new Map<string, { writer: ListCacheWriter; token: string }>();
  /**
   * Lists still streaming into their writer, by entry. A list of an entry that is still being
   * received is not cached again: it holds the same objects, and letting it replace the writer
   * in progress meant that under steady relists (20 a second) no write ever finished. Once a
   * list is whole its writer cannot be aborted, so the next list may queue behind it.
   */
  const writing = new Map<string, ListCacheWriter>();
  const received = (key: string, w: ListCacheWriter) => {
    if (writing.get(key) === w) writing.delete(key);
  };
  const writers = new Set<Promise<unknown>>();
  const track = (w: ListCacheWriter) => {
    writers.add(w.done);
    w.done.finally(() => writers.delete(w.done));
  };

  function cached(p: ProxyRequest): boolean {
    if (!resources.has(qualifiedResource(p.info))) return false;
    return agents.length === 0 || agents.some((a) => p.userAgent.startsWith(a));
  }

  async function specOf(p: ProxyRequest) {
    const sel = requestSelectors(p.url);
    return {
      resource: qualifiedResource(p.info),
      namespace: p.info.namespace,
      labelSelector: sel.labels,
      fieldSelector: sel.fields,
      name: p.info.verb === "get" ? p.info.name : undefined,
      partition: await partitionFor(p),
    };
  }

  return {
    async forRequest(p) {
      if (!cached(p)) return null;
      // A list at an exact older resourceVersion is history, not the current state.
      if (p.url.searchParams.get("resourceVersionMatch") === "Exact") return null;
      let spec;
      try {
        spec = await specOf(p);
      } catch {
        return null; // a bad selector: the apiserver will answer 400 and nothing is cached
      }
      const entry = await entryRef(spec.partition, spec);
      // The entry id alone names a request shape; with the partition, one client's entry.
      const key = guardKey(entry);
      const cont = p.url.searchParams.get("continue") ?? "";
      let dead = false;
      let writer: ListCacheWriter | null = null;
      return {
        listObserver(options = {}) {
          const rows = options.tableRows === true;
          if (cont !== "") {
            const pending = paged.get(key);
            if (!pending || pending.token !== cont) return {}; // a page of a list we did not see begin
            paged.delete(key);
            writer = pending.writer;
          } else {
            // A paged chain being written is broken by a new first page: the new one wins.
            if (writing.has(key) && !paged.has(key)) {
              dead = true;
              stats.listsSkippedBusy++;
              return {};
            }
            const w = writer = new ListCacheWriter(kv, entry, opts);
            track(w);
            writing.set(key, w);
            w.done.finally(() => received(key, w));
          }
          const w = writer;
          let kind = "";
          const give = (reason: string) => {
            dead = true;
            w.abort(reason);
          };
          return {
            item(row, view) {
              if (dead) return;
              const bytes = rows ? rowObjectBytes(row) : row;
              if (bytes === null) return give("a Table row without its object");
              const { namespace, name, resourceVersion } = view;
              if (rows) {
                // Only whole objects are cached: a server that ignored includeObject=Object
                // sent PartialObjectMetadata, which kubelet could not use later.
                const k = view.field("kind") ?? "";
                if (k === "" || k === "PartialObjectMetadata") {
                  return give(`a Table row embeds ${k || "an object without kind"}`);
                }
                kind ||= k;
              }
              // A relist mostly repeats what is cached: such items are queued without a copy.
              if (w.knowsUnchanged(namespace, name, resourceVersion, bytes.byteLength)) {
                w.pushUnchanged(namespace, name, resourceVersion, bytes.byteLength);
              } else w.push({ namespace, name, resourceVersion, bytes: bytes.slice() });
            },
            end(meta) {
              if (dead) return;
              if (meta.continue) {
                paged.set(key, { writer: w, token: meta.continue });
                return;
              }
              received(key, w);
              // A Table says nothing of its objects' kind: take it from an object, or from
              // the well-known resources when the list is empty.
              const k = rows ? kind || KINDS[p.info.resource] || "" : "";
              const listKind = rows ? (k ? `${k}List` : "") : meta.kind;
              if (listKind === "") return give("an empty Table of an unknown kind");
              const { group, version } = p.info;
              w.end({
                listKind,
                apiVersion: rows ? (group ? `${group}/${version}` : version) : meta.apiVersion,
                resourceVersion: meta.resourceVersion,
              });
            },
          };
        },
        watchObserver() {
          const updater = new WatchCacheUpdater(
            kv,
            entry,
            p.url.searchParams.get("resourceVersion") ?? "",
            opts,
          );
          return {
            event(type, bytes, view) {
              if (dead || updater.stopped || view === null) return;
              if (
                type !== "ADDED" && type !== "MODIFIED" && type !== "DELETED" && type !== "BOOKMARK"
              ) return;
              updater.apply({
                type,
                namespace: view.namespace,
                name: view.name,
                resourceVersion: view.resourceVersion,
                bytes: type === "ADDED" || type === "MODIFIED" ? bytes.slice() : undefined,
              });
            },
          };
        },
        object(bytes, view) {
          if (dead) return;
          const kind = view.field("kind") ?? "";
          const w = new ListCacheWriter(kv, entry, opts);
          track(w);
          w.push({
            namespace: view.namespace,
            name: view.name,
            resourceVersion: view.resourceVersion,
            bytes: bytes.slice(),
          });
          w.end({
            listKind: `${kind}List`,
            apiVersion: view.field("apiVersion") ?? "v1",
            resourceVersion: view.resourceVersion,
          });
        },
        skip() {
          dead = true;
        },
        abort(reason) {
          dead = true;
          (writer as ListCacheWriter | null)?.abort(reason);
        },
      } satisfies RequestTap;
    },

    async lookup(p) {
      if (!cached(p)) return null;
      const spec = await specOf(p);
      const found = await findCoveringEntry(kv, spec.partition, spec, { now: deps.now });
      if (!found) return null;
      const { entry, meta } = found;
      // An all-namespace entry answering a namespaced request reads only that namespace.
      const namespace = entry.namespace === "" && p.info.namespace !== ""
        ? p.info.namespace
        : undefined;
      const snapshot = p.info.verb === "list"
        ? await readEntry(kv, entry, { namespace, codec })
        : null;
      if (p.info.verb === "list" && snapshot === null) return null;
      const collection: CachedCollection = {
        listKind: meta.listKind,
        apiVersion: meta.apiVersion,
        resourceVersion: snapshot?.meta.resourceVersion ?? meta.resourceVersion,
        updatedAt: snapshot?.meta.updatedAt ?? meta.updatedAt,
        exhaustive: true,
        items: () => snapshot ?? emptyItems(),
        async get(ns, name) {
          const r = await getObject(kv, entry, ns, name, { codec });
          return r?.object?.bytes ?? null;
        },
        release: () => snapshot?.close(),
      };
      return collection;
    },

    async close() {
      for (const { writer } of paged.values()) writer.abort("shutting down");
      paged.clear();
      await Promise.race([
        Promise.allSettled([...writers]),
        new Promise((r) => setTimeout(r, 3000)),
      ]);
    },
  };
}
