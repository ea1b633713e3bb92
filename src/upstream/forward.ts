/**
 * @module Forwarding one request to the upstream apiservers with `fetch`: header hygiene,
 * failover, a connect deadline that tells a black-holed link from a slow apiserver, and abort
 * on client disconnect or on the server going down.
 */
import type { UpstreamPool, UpstreamServer } from "./upstream_pool.ts";

/** No server could be reached; the caller answers from the cache or with a 503 `Status`. */
export class UpstreamUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UpstreamUnavailableError";
  }
}

/**
 * Each upstream body -> its Response. Deno's fetch ends a body on abort through the Response
 * object, and once only the body is still referenced (a list or watch piped to the client) a
 * garbage collection takes the Response and aborting the signal no longer ends the body: the
 * request timeout, shutdown (SIGTERM) and a server going down then left streams open until the
 * upstream closed them. Keyed by the body, the Response lives exactly as long as its body.
 */
const bodyOwners = new WeakMap<ReadableStream<Uint8Array>, Response>();

/** RFC 9110 §7.6.1: connection-specific headers a proxy must not forward. */
const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];

/** Removes hop-by-hop headers, including those the `Connection` header names. */
export function dropHopByHop(h: Headers): Headers {
  const named = h.get("connection");
  if (named) { for (const n of named.split(",")) h.delete(n.trim()); }
  for (const n of HOP_BY_HOP) h.delete(n);
  return h;
}

/** Options for {@linkcode forward}. */
export interface ForwardOptions {
  /** How long to wait for response headers before asking whether the link is alive. */
  connectTimeoutMs: number;
  /** Replaces the client's `Accept` (content negotiation for filtered resources). */
  accept?: string;
  /** Query parameters to set on the upstream URL. */
  setQuery?: Record<string, string>;
  /** The client's request signal: a disconnect aborts the upstream request. */
  signal?: AbortSignal;
  /** @default Date.now */
  now?: () => number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** The upstream's answer and who gave it. */
export interface Forwarded {
  response: Response;
  server: UpstreamServer;
  /** True when `fetch` decompressed the body, so its length and encoding headers are stale. */
  decoded: boolean;
}

function upstreamHeaders(req: Request, auth: string | undefined, accept?: string): Headers {
  const h = dropHopByHop(new Headers(req.headers));
  h.delete("host");
  h.delete("content-length"); // fetch recomputes it; a streamed body goes chunked
  // Ask for gzip on the WAN link whatever the local client wants: fetch decodes it, and
  // loopback to the client needs no compression.
  h.set("accept-encoding", "gzip");
  if (accept !== undefined) h.set("accept", accept);
  if (!h.has("authorization") && auth) h.set("authorization", auth);
  return h;
}

/**
 * Waits for response headers. After each `connectTimeoutMs` without them, the request goes on
 * only while the server has answered something (a probe, another request) within that window:
 * a slow list on a live link keeps waiting, a black-holed link is abandoned.
 */
function connectDeadline(
  server: UpstreamServer,
  timeoutMs: number,
  now: () => number,
  abort: (reason: Error) => void,
): () => void {
  const start = now();
  const tick = () => {
    const t = now();
    if (t - Math.max(server.lastOkAt, start) >= timeoutMs) {
      abort(new Error(`no answer within ${timeoutMs} ms`));
    } else timer = setTimeout(tick, timeoutMs);
  };
  let timer = setTimeout(tick, timeoutMs);
  return () => clearTimeout(timer);
}

/**
 * Sends `req` to the first server that answers. Requests without a body fail over to the next
 * server on a connection failure; a streamed body cannot be replayed, so it gets one try.
 * Any HTTP answer, errors included, is returned as is: only the link's failure fails over.
 *
 * @throws {UpstreamUnavailableError} when no server could be reached.
 * @throws {DOMException} "AbortError" when the client went away first.
 */
export async function forward(
  pool: UpstreamPool,
  req: Request,
  url: URL,
  options: ForwardOptions,
): Promise<Forwarded> {
  const now = options.now ?? Date.now;
  const doFetch = options.fetch ?? globalThis.fetch;
  const auth = await pool.authorization();
  const hasBody = req.body !== null;
  const errors: string[] = [];
  for (const server of pool.candidates()) {
    // Only the path and query come from the client; scheme, host and port are the server's, so
    // a client can never redirect the proxy to another host. The path is set, not resolved
    // against the server URL: resolving `//evil.example/x` would read a host out of it and
    // send `/x`, and resolving any absolute path would drop a server URL's path prefix
    // (a Rancher-style `https://rancher/k8s/clusters/c-1`, which client-go keeps).
    const target = new URL(server.url.href);
    target.pathname = server.url.pathname.replace(/\/+$/, "") + url.pathname;
    target.search = url.search;
    for (const [k, v] of Object.entries(options.setQuery ?? {})) target.searchParams.set(k, v);
    const ctl = new AbortController();
    const signals = [ctl.signal, server.down.signal];
    if (options.signal) signals.push(options.signal);
    const cancel = connectDeadline(server, options.connectTimeoutMs, now, (e) => ctl.abort(e));
    try {
      const response = await doFetch(target, {
        method: req.method,
        headers: upstreamHeaders(req, auth, options.accept),
        body: req.body,
        redirect: "manual",
        signal: AbortSignal.any(signals),
        client: server.client,
        duplex: hasBody ? "half" : undefined,
      } as RequestInit);
      pool.markUp(server);
      if (response.body) bodyOwners.set(response.body, response);
      return { response, server, decoded: response.headers.has("content-encoding") };
    } catch (e) {
      if (options.signal?.aborted) throw options.signal.reason ?? e;
      const reason = ctl.signal.aborted
        ? (ctl.signal.reason as Error).message
        : (e as Error).message;
      pool.markDown(server, reason);
      errors.push(`${server.url.origin}: ${reason}`);
      if (hasBody) break;
    } finally {
      cancel();
    }
  }
  throw new UpstreamUnavailableError(
    errors.length ? `No upstream answered (${errors.join("; ")})` : "No upstream is configured",
  );
}

/**
 * Response headers for the client: end-to-end headers kept (`Content-Type`, `Warning`,
 * `Audit-Id`, ...), hop-by-hop dropped, and length/encoding dropped when the body was decoded
 * or will be rewritten.
 */
export function clientHeaders(upstream: Headers, bodyChanged: boolean): Headers {
  const h = dropHopByHop(new Headers(upstream));
  if (bodyChanged) {
    h.delete("content-encoding");
    h.delete("content-length");
  }
  return h;
}
