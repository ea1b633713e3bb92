/**
 * @module `createApp(deps)`: the Hono app local clients talk to — classify, log, count, proxy,
 * and map every error to a Kubernetes `Status`.
 */
import { Hono } from "hono";
import { qualifiedResource, requestInfo } from "./kube/request_info.ts";
import { kubeStatus, KubeStatusError, statusResponse } from "./kube/status.ts";
import { errorText } from "./log.ts";
import { handleProxy } from "./handlers/proxy_handler.ts";
import type { ProxyDeps, ProxyRequest } from "./handlers/proxy_deps.ts";

type Env = { Variables: { proxy: ProxyRequest } };

/** Builds the proxy app around its dependencies; no module-level state. */
export function createApp(deps: ProxyDeps): Hono<Env> {
  const app = new Hono<Env>();

  app.use(async (c, next) => {
    const url = new URL(c.req.url);
    const p: ProxyRequest = {
      req: c.req.raw,
      url,
      info: requestInfo(c.req.method, url),
      userAgent: c.req.header("user-agent") ?? "",
      completed: (c.env as Partial<Deno.ServeHandlerInfo> | undefined)?.completed,
      source: "proxy",
    };
    c.set("proxy", p);
    const start = deps.now();
    await next();
    const code = String(c.res.status);
    deps.metrics.inc("edge_proxy_requests_total", "Requests by verb, resource, code and source", {
      verb: p.info.verb,
      resource: p.info.isResource ? qualifiedResource(p.info) : "",
      code,
      source: p.source,
    });
    // Never a header value here: identities and tokens stay out of logs.
    deps.log.debug("{method} {path} {code} {ms} ms from {source}", {
      method: c.req.method,
      path: url.pathname,
      verb: p.info.verb,
      resource: p.info.resource,
      namespace: p.info.namespace,
      code: c.res.status,
      ms: deps.now() - start,
      source: p.source,
      component: p.userAgent.split("/")[0],
    });
  });

  app.all("*", (c) => handleProxy(deps, c.get("proxy")));

  app.onError((err, c) => {
    if (err instanceof KubeStatusError) return err.getResponse();
    if ((err as Error).name === "AbortError" && c.req.raw.signal.aborted) {
      // The client left; nobody will read this answer.
      return statusResponse(kubeStatus(499, "Timeout", "Client closed the request"));
    }
    deps.log.error("Internal error on {method} {path}: {error}", {
      method: c.req.method,
      path: new URL(c.req.url).pathname,
      error: errorText(err),
    });
    return statusResponse(kubeStatus(500, "InternalError", "edge-proxy internal error"));
  });

  return app;
}
