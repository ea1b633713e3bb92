/**
 * @module `serveOnline()`: forward to the apiserver, filter list/watch/get bodies as streams,
 * and hand what the client received to the cache.
 */
import { ListFilterStream } from "../filter/list_filter_stream.ts";
import { readObjectFiltered } from "../filter/object_filter.ts";
import { dropPredicateFor } from "../filter/rules.ts";
import { WatchFilterStream } from "../filter/watch_filter_stream.ts";
import { isJsonContentType, isTableContentType, negotiateJson } from "../kube/negotiate.ts";
import { kubeStatus, KubeStatusError, statusResponse } from "../kube/status.ts";
import { errorText } from "../log.ts";
import { clientHeaders, forward } from "../upstream/forward.ts";
import { guardBody } from "./guarded_body.ts";
import { openWatch } from "./open_watch.ts";
import { errorPageStatus } from "./upstream_error_page.ts";
import type { ProxyDeps, ProxyRequest } from "./proxy_deps.ts";

const READ_VERBS = new Set(["get", "list", "watch"]);
/** kube-apiserver's long-running requests (BasicLongRunningRequestCheck): no request timeout. */
const LONG_RUNNING_SUBRESOURCES = new Set(["log", "exec", "attach", "portforward", "proxy"]);

/**
 * Serves `p` from the upstream.
 *
 * @throws {UpstreamUnavailableError} when no server could be reached (the caller falls back to
 * the cache); {@linkcode KubeStatusError} 406 when the client accepts only protobuf for a
 * filtered resource.
 */
export async function serveOnline(deps: ProxyDeps, p: ProxyRequest): Promise<Response> {
  const { info } = p;
  const read = info.isResource && READ_VERBS.has(info.verb) && info.subresource === "";
  const drop = read ? dropPredicateFor(deps.rules, info, p.userAgent) : null;
  const tap = read && deps.cache ? await deps.cache.forRequest(p) : null;
  let accept: string | undefined;
  let setQuery: Record<string, string> | undefined;
  if (drop || tap) {
    const n = negotiateJson(p.req.headers.get("accept"));
    if (n.accept === null) {
      if (drop) {
        throw new KubeStatusError(
          406,
          "NotAcceptable",
          `${info.resource} is filtered by edge-proxy and served only as JSON; the request accepts only "${
            p.req.headers.get("accept")
          }"`,
        );
      }
    } else {
      accept = n.accept;
      // A Table row carries only metadata by default; a rule on other fields needs the object,
      // and so does the cache: a Table list whose rows embed their objects is cached as the
      // plain list it contains, so `kubectl get` keeps working offline.
      if (
        n.table &&
        ((tap && info.verb === "list") ||
          (drop && drop.fieldPaths.some((f) => !f.startsWith("metadata."))))
      ) {
        setQuery = { includeObject: "Object" };
      }
    }
  }
  const started = deps.now();
  // Like kube-apiserver's --request-timeout: an upstream that stalls or trickles (before or
  // after its headers, on a link whose probes still answer) must not hold a list or get, its
  // client and its cache writer forever. Watches and streams are long-running, as there.
  const timeoutMs = deps.config.upstream.requestTimeoutMs;
  const longRunning = info.verb === "watch" || info.verb === "proxy" ||
    LONG_RUNNING_SUBRESOURCES.has(info.subresource);
  const signals = [p.req.signal, deps.shutdown];
  if (!longRunning) signals.push(AbortSignal.timeout(timeoutMs));
  const { response, server, decoded } = await forward(deps.pool, p.req, p.url, {
    connectTimeoutMs: deps.config.upstream.connectTimeoutMs,
    accept,
    setQuery,
    signal: AbortSignal.any(signals),
    now: deps.now,
  }).catch((e) => {
    if ((e as Error)?.name !== "TimeoutError") throw e;
    deps.log.warn("Upstream sent no headers for {method} {path} within {ms} ms", {
      method: p.req.method,
      path: p.url.pathname,
      ms: timeoutMs,
    });
    throw new KubeStatusError(504, "Timeout", `The upstream did not answer within ${timeoutMs} ms`);
  });
  p.source = "upstream";
  deps.metrics.observe(
    "edge_proxy_upstream_latency_seconds",
    "Time to the upstream's response headers",
    { server: server.url.origin, verb: info.verb },
    (deps.now() - started) / 1000,
  );
  const ok = response.status === 200 && isJsonContentType(response.headers.get("content-type"));
  const bytesOut = (n: number) =>
    deps.metrics.inc("edge_proxy_bytes_out_total", "Bytes sent to clients", {}, n);
  if (!ok || response.body === null || (!drop && !tap)) {
    tap?.skip();
    // A load balancer's HTML 502/503 page is no answer a Kubernetes client can parse.
    const page = info.isResource ? await errorPageStatus(response) : null;
    if (page) {
      deps.log.warn("Upstream answered {code} with a non-Kubernetes page for {method} {path}", {
        code: response.status,
        contentType: response.headers.get("content-type") ?? "",
        method: p.req.method,
        path: p.url.pathname,
      });
      return page;
    }
    const plain = clientHeaders(response.headers, decoded);
    let body: ReadableStream<Uint8Array> | null = response.body;
    if (body !== null && info.verb === "watch" && response.status === 200) {
      // An unfiltered watch (secrets, or any resource without rules or cache) is open all the
      // same, so it is counted. Where the server says when the response is done, its body keeps
      // Deno's native fetch-to-serve piping: a JS hop per event cut a burst of small events to
      // 0.76x of a direct watch (1.0x without it), at the price of its bytes going uncounted.
      const close = openWatch(deps.metrics);
      if (p.completed) p.completed.then(close, close);
      else {
        const end = (bytes: number) => {
          close();
          bytesOut(bytes);
        };
        body = guardBody(body, { done: end, failed: (_e, bytes) => end(bytes), cancelled: end });
      }
    } else if (plain.has("content-length")) {
      // Other bodies keep Deno's native fetch-to-serve piping (a JS hop per chunk costs ~10%
      // throughput on big lists), so only a declared length is counted.
      bytesOut(Number(plain.get("content-length")) || 0);
    }
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: plain,
    });
  }
  const downSignal = server.down.signal;
  const table = isTableContentType(response.headers.get("content-type")) ||
    negotiateJson(accept ?? null).table;
  const headers = clientHeaders(response.headers, true);
  const failed = (e: unknown) => {
    deps.log.error("Upstream body for {method} {path} failed: {error}", {
      method: p.req.method,
      path: p.url.pathname,
      error: errorText(e),
    });
    deps.metrics.inc(
      "edge_proxy_upstream_body_errors_total",
      "Upstream bodies that failed mid-stream",
      {
        resource: info.resource,
      },
    );
  };

  if (info.verb === "get") {
    const obj = await readObjectFiltered(response.body, drop, { table }).catch((e) => {
      failed(e);
      if ((e as Error)?.name === "TimeoutError") {
        throw new KubeStatusError(
          504,
          "Timeout",
          `The upstream did not answer within ${timeoutMs} ms`,
        );
      }
      throw new KubeStatusError(502, "InternalError", "The upstream sent a malformed object", {
        cause: e,
      });
    });
    if (obj.dropped) {
      tap?.skip();
      return statusResponse(
        kubeStatus(404, "NotFound", `${info.resource} "${info.name}" not found`, {
          name: info.name,
          kind: info.resource,
        }),
      );
    }
    if (!table) tap?.object(obj.bytes, obj.view);
    else tap?.skip();
    return new Response(obj.bytes as Uint8Array<ArrayBuffer>, { status: 200, headers });
  }

  // Metadata-only lists and Table watches and gets are views the offline cache could not serve
  // as objects later; plain lists, watches and Table lists (their rows' objects) are cached.
  const cacheable = !negotiateJson(accept ?? null).partial &&
    (!table || (info.verb === "list" && setQuery?.includeObject === "Object"));
  if (!cacheable) tap?.skip();
  const t = cacheable ? tap : null;
  const stream = info.verb === "watch"
    ? new WatchFilterStream(drop, { observer: t?.watchObserver(), table })
    : new ListFilterStream(drop, {
      observer: t?.listObserver({ tableRows: table }),
      itemsKey: table ? "rows" : "items",
    });
  const closeWatch = info.verb === "watch" ? openWatch(deps.metrics) : () => {};
  const body = guardBody(response.body.pipeThrough(stream), {
    done(bytes) {
      closeWatch();
      bytesOut(bytes);
    },
    failed(e, bytes) {
      closeWatch();
      t?.abort(`upstream body failed: ${errorText(e)}`);
      bytesOut(bytes);
      // A list never gets a made-up ending. A watch always closes cleanly: only whole events
      // were sent, so the client simply re-watches from its last resourceVersion. That holds
      // too when the link dropped the connection before any probe noticed (then `ours` is
      // still false): an errored stream would stop a client-node informer for good.
      const ours = deps.shutdown.aborted || server.down.signal !== downSignal;
      if (info.verb === "watch") {
        if (!ours && !p.req.signal.aborted) failed(e);
        return true;
      }
      if (!p.req.signal.aborted) failed(e);
    },
    cancelled(bytes) {
      closeWatch();
      t?.abort("client went away");
      bytesOut(bytes);
    },
  });
  return new Response(body, { status: 200, statusText: response.statusText, headers });
}
