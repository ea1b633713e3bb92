/**
 * @module Streams a cached collection as the list a client asked for: plain list, Table or
 * PartialObjectMetadataList, with selectors, `limit` and `continue` applied locally.
 */
import { KubeStatusError } from "../kube/status.ts";
import { readAhead } from "./read_ahead.ts";
import type { CachedCollection } from "./cache_tap.ts";

/** Options for {@linkcode cachedListBody}. */
export interface ListBodyOptions {
  /** True for items the request selects. */
  matches(bytes: Uint8Array): boolean;
  /** 0 = no limit. */
  limit: number;
  /** A continue token from a previous page of this proxy; "" for the first page. */
  continueToken: string;
  shape: "list" | "table" | "partial";
  /** For the Table's Age column (ms since epoch). */
  now: number;
}

interface ContinueToken {
  v: "edge1";
  rv: string;
  ns: string;
  name: string;
}

/**
 * Where a continue token resumes.
 *
 * @throws {KubeStatusError} 410 Expired when the token is not this cache's or the entry moved
 * on since: as with the apiserver, the client then lists again from the start.
 */
export function resumeAfter(token: string, rv: string): [string, string] | null {
  if (token === "") return null;
  try {
    const t = JSON.parse(atob(token.replace(/-/g, "+").replace(/_/g, "/"))) as ContinueToken;
    if (t.v === "edge1" && t.rv === rv && typeof t.ns === "string" && typeof t.name === "string") {
      return [t.ns, t.name];
    }
  } catch {
    // fall through: not ours
  }
  throw new KubeStatusError(
    410,
    "Expired",
    "The provided continue parameter is too old to display a consistent list result; list again without it",
  );
}

function continueToken(rv: string, ns: string, name: string): string {
  const t: ContinueToken = { v: "edge1", rv, ns, name };
  return btoa(JSON.stringify(t)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function after(ns: string, name: string, at: [string, string]): boolean {
  return ns > at[0] || (ns === at[0] && name > at[1]);
}

function age(created: unknown, now: number): string {
  const t = typeof created === "string" ? Date.parse(created) : NaN;
  if (Number.isNaN(t)) return "<unknown>";
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

const COLUMNS = [
  { name: "Name", type: "string", format: "name", description: "Name of the object", priority: 0 },
  { name: "Age", type: "string", format: "", description: "Time since creation", priority: 0 },
];

type Obj = { metadata?: Record<string, unknown> };

function partial(o: Obj): Record<string, unknown> {
  return {
    kind: "PartialObjectMetadata",
    apiVersion: "meta.k8s.io/v1",
    metadata: o.metadata ?? {},
  };
}

function row(o: Obj, now: number): Record<string, unknown> {
  return {
    cells: [o.metadata?.name ?? "", age(o.metadata?.creationTimestamp, now)],
    object: partial(o),
  };
}

/** A `meta.k8s.io/v1` Table of objects, the shape kubectl asks for. */
export function tableForObjects(
  objs: readonly Obj[],
  rv: string,
  now: number,
): Record<string, unknown> {
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: { resourceVersion: rv },
    columnDefinitions: COLUMNS,
    rows: objs.map((o) => row(o, now)),
  };
}

const enc = new TextEncoder();
const dec = new TextDecoder();
/**
 * Objects are sent in chunks of this many bytes: 256 KiB rather than 64 made an offline list
 * ~10% faster for both a Deno client and curl (fewer writes), at 192 KiB more per open list.
 */
const FLUSH_BYTES = 256 * 1024;
const COMMA = enc.encode(",");

/**
 * The list body, streamed from the cache: memory holds one output chunk, not the list.
 * Call {@linkcode resumeAfter} first so a bad token is a 410 before any byte is sent.
 */
export function cachedListBody(
  c: CachedCollection,
  o: ListBodyOptions,
): ReadableStream<Uint8Array> {
  const start = resumeAfter(o.continueToken, c.resourceVersion);
  // 4 MiB of objects read ahead: KV reads its next batch while this one is being sent.
  const it = readAhead(c.items()[Symbol.asyncIterator](), (o) => o.bytes.byteLength, 4 << 20);
  let head: string;
  if (o.shape === "table") {
    head = `{"kind":"Table","apiVersion":"meta.k8s.io/v1","columnDefinitions":${
      JSON.stringify(COLUMNS)
    },"rows":[`;
  } else if (o.shape === "partial") {
    head = `{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","items":[`;
  } else {
    head = `{"kind":${JSON.stringify(c.listKind)},"apiVersion":${
      JSON.stringify(c.apiVersion)
    },"items":[`;
  }
  let sent = 0;
  let last: [string, string] | null = null;
  let finished = false;
  let parts: Uint8Array[] = [enc.encode(head)];
  let size = 0;
  const push = (b: Uint8Array) => {
    parts.push(b);
    size += b.byteLength;
  };
  const flush = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    if (parts.length === 0) return;
    const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.byteLength;
    }
    controller.enqueue(out);
    parts = [];
    size = 0;
  };
  const done = () => {
    if (!finished) {
      finished = true;
      c.release();
    }
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        while (size < FLUSH_BYTES) {
          const r = await it.next();
          let more = false;
          if (!r.done) {
            const { namespace, name, bytes } = r.value;
            if (start && !after(namespace, name, start)) continue;
            if (!o.matches(bytes)) continue;
            if (o.limit > 0 && sent >= o.limit) more = true;
            else {
              if (sent > 0) push(COMMA);
              if (o.shape === "list") push(bytes);
              else {
                const obj = JSON.parse(dec.decode(bytes)) as Obj;
                push(
                  enc.encode(JSON.stringify(o.shape === "table" ? row(obj, o.now) : partial(obj))),
                );
              }
              sent++;
              last = [namespace, name];
              continue;
            }
          }
          const meta: Record<string, string> = { resourceVersion: c.resourceVersion };
          if (more && last) meta.continue = continueToken(c.resourceVersion, last[0], last[1]);
          push(enc.encode(`],"metadata":${JSON.stringify(meta)}}`));
          flush(controller);
          controller.close();
          await it.return?.();
          done();
          return;
        }
        flush(controller);
      } catch (e) {
        done();
        controller.error(e);
      }
    },
    async cancel() {
      await it.return?.();
      done();
    },
  }, { highWaterMark: 0 });
}
