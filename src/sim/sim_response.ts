/**
 * @module Response bodies: lists streamed from cached entry bytes (no giant string), JSON
 * objects, and gzip above the apiserver's 128 KiB threshold when the client accepts it.
 */
import type { SimOutput } from "./sim_accept.ts";
import { entryObject, type SimEntry } from "./sim_entry.ts";
import type { SimListPage } from "./sim_store.ts";
import type { SimResource } from "./sim_resources.ts";
import { partialObject, toTable } from "./sim_table.ts";

const encoder = new TextEncoder();
/** Chunk size of streamed lists: large enough that per-chunk overhead vanishes on loopback. */
const CHUNK = 256 * 1024;

/** Options that shape a response body. */
export interface SimBodyOptions {
  /** The request's Accept-Encoding header. */
  acceptEncoding: string | null;
  /** Bodies larger than this are gzipped when the client accepts it. @default 131072 */
  gzipThreshold?: number;
  status?: number;
}

function acceptsGzip(acceptEncoding: string | null): boolean {
  return (acceptEncoding ?? "").split(",").some((p) => {
    const [coding, ...params] = p.trim().toLowerCase().split(";");
    return coding.trim() === "gzip" && !params.some((q) => /^\s*q=0(\.0*)?\s*$/.test(q));
  });
}

/** A JSON response of `size` bytes, gzipped when large and accepted. */
export function jsonBody(
  body: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array<ArrayBuffer>>,
  size: number,
  options: SimBodyOptions,
): Response {
  const headers = new Headers({
    "content-type": "application/json",
    "cache-control": "no-cache, private",
  });
  if (size > (options.gzipThreshold ?? 131072) && acceptsGzip(options.acceptEncoding)) {
    const stream: ReadableStream<Uint8Array<ArrayBuffer>> = body instanceof Uint8Array
      ? new Blob([body]).stream()
      : body;
    headers.set("content-encoding", "gzip");
    headers.set("vary", "Accept-Encoding");
    return new Response(
      stream.pipeThrough<Uint8Array<ArrayBuffer>>(new CompressionStream("gzip")),
      {
        status: options.status ?? 200,
        headers,
      },
    );
  }
  return new Response(body, { status: options.status ?? 200, headers });
}

/** A JSON response of one object. */
export function objectBody(obj: unknown, options: SimBodyOptions): Response {
  const bytes = encoder.encode(JSON.stringify(obj));
  return jsonBody(bytes, bytes.length, options);
}

/** Streams `head`, the entries' bytes joined by commas, then `tail`, in CHUNK-sized copies. */
function concatStream(
  head: Uint8Array,
  entries: readonly SimEntry[],
  tail: Uint8Array,
  size: number,
): ReadableStream<Uint8Array<ArrayBuffer>> {
  let i = 0;
  let headSent = false;
  let sent = 0;
  return new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(controller) {
      const next = head.length + tail.length + (entries[i]?.json.length ?? 0) + 1;
      const buf = new Uint8Array(Math.min(size - sent + 1, Math.max(CHUNK, next)));
      let n = 0;
      if (!headSent) {
        buf.set(head);
        n = head.length;
        headSent = true;
      }
      while (i < entries.length) {
        const json = entries[i].json;
        if (n + json.length + 1 > buf.length) break;
        if (i > 0) buf[n++] = 0x2c; // ","
        buf.set(json, n);
        n += json.length;
        i++;
      }
      if (i === entries.length && n + tail.length <= buf.length) {
        buf.set(tail, n);
        controller.enqueue(buf.subarray(0, n + tail.length));
        sent += n + tail.length;
        controller.close();
        return;
      }
      controller.enqueue(buf.subarray(0, n));
      sent += n;
    },
  }, { highWaterMark: 0 });
}

/**
 * A list response: `{"kind":"<Kind>List","apiVersion":..,"metadata":{..},"items":[..]}` in the
 * apiserver's key order, or its Table / PartialObjectMetadataList form.
 */
export function listBody(
  r: SimResource,
  page: SimListPage,
  output: SimOutput,
  options: SimBodyOptions,
): Response {
  const metadata: Record<string, unknown> = { resourceVersion: String(page.resourceVersion) };
  if (page.continue) metadata.continue = page.continue;
  if (page.remainingItemCount !== undefined) metadata.remainingItemCount = page.remainingItemCount;
  if (output.form === "table") {
    return objectBody(
      toTable(r, page.entries.map(entryObject), metadata, output.includeObject),
      options,
    );
  }
  if (output.form === "partial") {
    return objectBody({
      kind: "PartialObjectMetadataList",
      apiVersion: "meta.k8s.io/v1",
      metadata,
      items: page.entries.map((e) => partialObject(entryObject(e))),
    }, options);
  }
  const head = encoder.encode(
    `{"kind":"${r.kind}List","apiVersion":"${r.apiVersion}","metadata":${
      JSON.stringify(metadata)
    },"items":[`,
  );
  const tail = encoder.encode("]}");
  let size = head.length + tail.length + Math.max(0, page.entries.length - 1);
  for (const e of page.entries) size += e.json.length;
  return jsonBody(concatStream(head, page.entries, tail, size), size, options);
}
