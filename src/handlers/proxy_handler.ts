/**
 * @module `handleProxy()`: the one place that decides where a request goes — the upstream when
 * the link is up, the cache when it is down or fails during this very request.
 */
import { KubeStatusError } from "../kube/status.ts";
import { UpstreamUnavailableError } from "../upstream/forward.ts";
import { serveOffline } from "./offline.ts";
import { serveOnline } from "./online.ts";
import type { ProxyDeps, ProxyRequest } from "./proxy_deps.ts";

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
