/**
 * @module `handleProxy()`: the one place that decides where a request goes — the upstream when
 * the link is up, the cache when it is down or fails during this very request.
 */
import { KubeStatusError } from "../kube/status.ts";
import { UpstreamUnavailableError } from "../upstream/forward.ts";
import { serveOffline } from "./offline.ts";
import { serveOnline } from "./online.ts";
import type { ProxyDeps, ProxyRequest } from "./proxy_deps.ts";

/** Methods `fetch` refuses to send (Fetch standard, "forbidden method"). */
const FETCH_FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);
/** Methods `fetch` upper-cases whatever their case (Fetch standard, "normalize a method"). */
const FETCH_NORMALISED_METHODS = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);

/**
 * Answers one request. While any upstream may be up it is tried first; a request that finds
 * every upstream unreachable is answered from the cache in the same request, so the client
 * never waits for the next probe.
 */
export async function handleProxy(deps: ProxyDeps, p: ProxyRequest): Promise<Response> {
  if (p.req.headers.get("upgrade")) {
    // exec/attach/port-forward upgrade to SPDY or WebSocket; fetch cannot carry either.
    throw new KubeStatusError(
      501,
      "NotImplemented",
      `edge-proxy does not proxy connection upgrades ("${
        p.req.headers.get("upgrade")
      }"); connect to the apiserver directly for exec, attach and port-forward`,
    );
  }
  const method = p.req.method;
  const upper = method.toUpperCase();
  if (
    FETCH_FORBIDDEN_METHODS.has(upper) || (FETCH_NORMALISED_METHODS.has(upper) && method !== upper)
  ) {
    // fetch throws on these before connecting (a lowercase `get` arrives with a body, and fetch
    // upper-cases it), and forward() took that for the link failing: one client's CONNECT,
    // TRACE or `get` marked the upstream down and sent every client offline. HTTP methods are
    // case-sensitive, so `get` is no GET for the apiserver either.
    throw new KubeStatusError(
      405,
      "MethodNotAllowed",
      `edge-proxy does not forward ${JSON.stringify(method)} requests`,
    );
  }
  if (deps.pool.online()) {
    try {
      return await serveOnline(deps, p);
    } catch (e) {
      if (!(e instanceof UpstreamUnavailableError)) throw e;
      deps.log.warn("Upstream unreachable for {method} {path}, answering from the cache: {error}", {
        method: p.req.method,
        path: p.url.pathname,
        error: e.message,
      });
    }
  }
  return serveOffline(deps, p);
}
