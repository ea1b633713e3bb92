/**
 * @module `createAdminApp(deps)`: the admin listener — `/healthz`, `/readyz`, `/metrics`.
 */
import { Hono } from "hono";
import type { UpstreamPool } from "../upstream/upstream_pool.ts";
import type { Metrics } from "./metrics.ts";

/** What the admin endpoints read. */
export interface AdminDeps {
  metrics: Metrics;
  pool: UpstreamPool;
  /** True once the proxy listener is serving. */
  ready: () => boolean;
}

/** Builds the admin app. */
export function createAdminApp(deps: AdminDeps): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.text("ok"));
  // Ready means "serving": offline the proxy still answers from its cache, so it stays ready.
  app.get("/readyz", (c) => deps.ready() ? c.text("ok") : c.text("not serving yet", 503));
  app.get("/metrics", (c) => {
    for (const s of deps.pool.servers) {
      for (const state of ["up", "down", "unknown"] as const) {
        deps.metrics.set(
          "edge_proxy_upstream_state",
          "1 for the current link state of each upstream server",
          { server: s.url.origin, state },
          s.state === state ? 1 : 0,
        );
      }
    }
    deps.metrics.set(
      "edge_proxy_online",
      "1 while any upstream may be reachable",
      {},
      deps.pool.online() ? 1 : 0,
    );
    const mem = Deno.memoryUsage();
    deps.metrics.set("process_resident_memory_bytes", "Resident set size", {}, mem.rss);
    deps.metrics.set("edge_proxy_heap_used_bytes", "V8 heap in use", {}, mem.heapUsed);
    return c.text(deps.metrics.render(), 200, {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
    });
  });
  return app;
}
