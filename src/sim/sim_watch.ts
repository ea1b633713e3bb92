/**
 * @module Watch streams: one JSON event per line, flushed per event, with the apiserver's
 * selector transitions (stopped matching = DELETED, started matching = ADDED), bookmarks,
 * `timeoutSeconds`, and a release of the store watcher when the client goes away.
 */
import { KubeStatusError } from "../kube/status.ts";
import type { SimOutput } from "./sim_accept.ts";
import { entryObject, restamp, type SimEntry } from "./sim_entry.ts";
import { type SimListOptions, simPredicate } from "./sim_query.ts";
import type { SimResource } from "./sim_resources.ts";
import type { SimEvent, SimStore } from "./sim_store.ts";
import { partialObject, toTable } from "./sim_table.ts";

/** Options of one watch. */
export interface SimWatchOptions {
  /** Namespace, selectors and resourceVersion, from the query. */
  list: SimListOptions;
  output: SimOutput;
  /** Send BOOKMARK events (`allowWatchBookmarks=true`). @default false */
  bookmarks?: boolean;
  /** @default 1000 */
  bookmarkIntervalMs?: number;
  /** Ends the stream (`timeoutSeconds`). @default 1_800_000, the apiserver's minRequestTimeout */
  timeoutMs?: number;
  /** `sendInitialEvents=true`: synthetic ADDED events, then a bookmark marking their end. */
  sendInitialEvents?: boolean;
  /** Ends the stream, e.g. when the server closes. */
  signal?: AbortSignal;
  /** A client this far behind is dropped, as the apiserver drops unresponsive watchers. @default 64 MiB */
  maxBufferedBytes?: number;
}

type EventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

const encoder = new TextEncoder();
/** Plain-JSON lines shared by every watcher that sends an event unchanged. */
const lineCache = new WeakMap<SimEntry, Map<string, Uint8Array>>();

function jsonLine(type: EventType, entry: SimEntry): Uint8Array {
  let byType = lineCache.get(entry);
  if (!byType) lineCache.set(entry, byType = new Map());
  let line = byType.get(type);
  if (!line) {
    const head = encoder.encode(`{"type":"${type}","object":`);
    line = new Uint8Array(head.length + entry.json.length + 2);
    line.set(head);
    line.set(entry.json, head.length);
    line.set(encoder.encode("}\n"), head.length + entry.json.length);
    byType.set(type, line);
  }
  return line;
}

/**
 * A watch response body for `r`.
 *
 * @throws {KubeStatusError} 400 for a bad selector or resourceVersion: before any byte is sent,
 * so the client gets a Status response rather than an event.
 */
export function watchStream(
  store: SimStore,
  r: SimResource,
  options: SimWatchOptions,
): ReadableStream<Uint8Array> {
  const pred = simPredicate(r, options.list);
  const rvParam = options.list.resourceVersion ?? "";
  if (rvParam !== "" && !/^[0-9]+$/.test(rvParam)) {
    throw new KubeStatusError(400, "BadRequest", `invalid resource version "${rvParam}"`);
  }
  const output = options.output;
  const maxBuffered = options.maxBufferedBytes ?? 64 * 1024 * 1024;
  let first = true;
  const line = (type: EventType, entry: SimEntry): Uint8Array => {
    if (output.form === "json") return jsonLine(type, entry);
    const obj = entryObject(entry);
    const out = output.form === "partial" ? partialObject(obj) : toTable(
      r,
      [obj],
      { resourceVersion: obj.metadata.resourceVersion },
      output.includeObject,
      first,
    );
    first = false;
    return encoder.encode(`${JSON.stringify({ type, object: out })}\n`);
  };
  const bookmark = (rv: number, annotations?: Record<string, string>) =>
    encoder.encode(
      `${
        JSON.stringify({
          type: "BOOKMARK",
          object: {
            kind: r.kind,
            apiVersion: r.apiVersion,
            metadata: { resourceVersion: String(rv), annotations },
          },
        })
      }\n`,
    );

  let cleanup = () => {};
  return new ReadableStream<Uint8Array>({
    start(controller) {
      let done = false;
      const timers: ReturnType<typeof setTimeout>[] = [];
      let stop = () => {};
      const finish = () => {
        if (done) return;
        cleanup();
        controller.close();
      };
      cleanup = () => {
        done = true;
        stop();
        for (const t of timers) clearTimeout(t), clearInterval(t);
        options.signal?.removeEventListener("abort", finish);
      };
      const send = (chunk: Uint8Array) => {
        if (done) return;
        controller.enqueue(chunk);
        if ((controller.desiredSize ?? 0) < -maxBuffered) finish();
      };
      const onEvent = (ev: SimEvent) => {
        if (pred.namespace && ev.entry.namespace !== pred.namespace) return;
        const cur = ev.type !== "DELETED" && pred.matches(ev.entry);
        const old = ev.prev !== undefined && pred.matches(ev.prev);
        if (cur) send(line(old ? "MODIFIED" : "ADDED", ev.entry));
        else if (old) {
          send(line("DELETED", ev.type === "DELETED" ? ev.entry : restamp(r, ev.prev!, ev.rv)));
        }
      };

      let fromRv = Number(rvParam || 0);
      const initial = options.sendInitialEvents ?? (rvParam === "" || rvParam === "0");
      if (initial) {
        const page = store.listEntries(r.resource, {
          ...options.list,
          resourceVersion: "",
          limit: 0,
          continue: "",
        });
        for (const e of page.entries) send(line("ADDED", e));
        fromRv = page.resourceVersion;
        if (options.sendInitialEvents) {
          send(bookmark(fromRv, { "k8s.io/initial-events-end": "true" }));
        }
      }
      try {
        const handle = store.watch(r.resource, fromRv, onEvent);
        stop = handle.stop;
        for (const ev of handle.backlog) onEvent(ev);
      } catch (e) {
        if (!(e instanceof KubeStatusError)) throw e;
        send(encoder.encode(`${JSON.stringify({ type: "ERROR", object: e.status })}\n`));
        finish();
        return;
      }
      if (options.signal?.aborted) return finish();
      options.signal?.addEventListener("abort", finish);
      timers.push(setTimeout(finish, options.timeoutMs ?? 1_800_000));
      if (options.bookmarks) {
        timers.push(
          setInterval(
            () => send(bookmark(store.resourceVersion)),
            options.bookmarkIntervalMs ?? 1000,
          ),
        );
      }
    },
    cancel() {
      // The client went away: release the store watcher and timers now, not at timeout.
      cleanup();
    },
  }, new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }));
}
