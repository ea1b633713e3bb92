/**
 * @module `offlineWatchBody()`: a watch answered while offline — held open with bookmarks at the
 * cached resourceVersion, ended at `timeoutSeconds`, at shutdown, or as soon as an upstream
 * answers again, so the client re-watches the real apiserver and resumes or relists.
 */
import type { CachedCollection } from "./cache_tap.ts";
import { openWatch } from "./open_watch.ts";
import type { ProxyDeps, ProxyRequest } from "./proxy_deps.ts";

/** Bookmarks are cheap keep-alives; client-go's own expectation is about once a minute. */
const BOOKMARK_EVERY_MS = 10_000;
/** The apiserver's default for a watch without timeoutSeconds is 30-60 min; be shorter offline. */
const DEFAULT_TIMEOUT_S = 300;

const enc = new TextEncoder();

/**
 * The resourceVersion to bookmark: the one the client watches from, when it gave one. A
 * bookmark promises that every event up to it was delivered, and offline none is: one at the
 * cache's newer version made informers skip the events in between (seen under load: lost
 * events, a wrong final view), one at an older version moved them back (replayed events).
 * Only a watch from "any" (no version, or "0") gets the cache's.
 */
export function bookmarkVersion(cached: string, requested: string): string {
  return requested !== "" && requested !== "0" ? requested : cached;
}

/** The body of an offline watch, counted as an open watch until it ends. */
export function offlineWatchBody(
  deps: ProxyDeps,
  p: ProxyRequest,
  c: Pick<CachedCollection, "listKind" | "apiVersion" | "resourceVersion"> | null,
): ReadableStream<Uint8Array> {
  const t = Number(p.url.searchParams.get("timeoutSeconds") ?? "");
  const timeoutMs = (Number.isFinite(t) && t > 0 ? t : DEFAULT_TIMEOUT_S) * 1000;
  // Without a cached entry (null) there is no resourceVersion to bookmark: the watch is silent.
  const bookmarks = c !== null && p.url.searchParams.get("allowWatchBookmarks") === "true";
  const kind = c?.listKind.endsWith("List") ? c.listKind.slice(0, -4) : c?.listKind;
  const bookmark = enc.encode(
    JSON.stringify({
      type: "BOOKMARK",
      object: {
        kind,
        apiVersion: c?.apiVersion,
        metadata: {
          resourceVersion: bookmarkVersion(
            c?.resourceVersion ?? "",
            p.url.searchParams.get("resourceVersion") ?? "",
          ),
        },
      },
    }) + "\n",
  );
  const cleanups: (() => void)[] = [openWatch(deps.metrics)];
  let ended = false;
  const end = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    if (ended) return;
    ended = true;
    for (const f of cleanups) f();
    try {
      controller.close();
    } catch {
      // already cancelled by the client
    }
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (bookmarks) controller.enqueue(bookmark);
      const timer = setTimeout(() => end(controller), timeoutMs);
      cleanups.push(() => clearTimeout(timer));
      if (bookmarks) {
        const tick = setInterval(() => controller.enqueue(bookmark), BOOKMARK_EVERY_MS);
        cleanups.push(() => clearInterval(tick));
      }
      cleanups.push(deps.pool.subscribe(() => {
        if (deps.pool.servers.some((s) => s.state === "up")) end(controller);
      }));
      const onShutdown = () => end(controller);
      deps.shutdown.addEventListener("abort", onShutdown);
      cleanups.push(() => deps.shutdown.removeEventListener("abort", onShutdown));
    },
    cancel() {
      if (ended) return;
      ended = true;
      for (const f of cleanups) f();
    },
  });
}
