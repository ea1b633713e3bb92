/**
 * @module `startEdgeProxy(config)`: wires config, credentials, upstream pool, cache and the two
 * listeners together, and shuts them down in order. Used by `main.ts`, the demo and the tests.
 */
import type { Logger } from "@logtape/logtape";
import { createAdminApp } from "./admin/admin_app.ts";
import { Metrics } from "./admin/metrics.ts";
import { createApp } from "./app.ts";
import type { Config } from "./config.ts";
import { compileRules } from "./filter/rules.ts";
import { createCacheTap } from "./handlers/kv_cache_tap.ts";
import { kubeStatus, statusResponse } from "./kube/status.ts";
import { logger } from "./log.ts";
import { resolveUpstream, type UpstreamTarget } from "./upstream/resolve_upstream.ts";
import { UpstreamPool } from "./upstream/upstream_pool.ts";
import { openCache } from "./cache/open_cache.ts";

/** A running proxy. */
export interface EdgeProxy {
  /** `http://host:port` of the Kubernetes API listener (`https://` with `listen.tls`). */
  url: string;
  /** `http://host:port` of the admin listener. */
  adminUrl: string;
  pool: UpstreamPool;
  metrics: Metrics;
  kv: Deno.Kv | null;
  /** Ends watches, finishes or abandons cache writes, closes listeners; resolves within ~5 s. */
  close(): Promise<void>;
}

function splitHostPort(v: string): { hostname: string; port: number } {
  const i = v.lastIndexOf(":");
  return { hostname: v.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(v.slice(i + 1)) };
}

/** Options for {@linkcode startEdgeProxy}. */
export interface StartOptions {
  /** @default logger("proxy") */
  log?: Logger;
  /** @default Date.now */
  now?: () => number;
  /**
   * Servers and credentials, already resolved (main.ts does, so a bad kubeconfig is a config
   * error before anything listens). @default resolved here from `config.upstream`
   */
  upstream?: UpstreamTarget;
  /** Called once both listeners serve. */
  onListen?: (proxy: { url: string; adminUrl: string }) => void;
}

/**
 * Starts the proxy.
 *
 * @throws {ConfigError} for bad credentials, missing servers or unreadable `listen.tls` files.
 */
export async function startEdgeProxy(
  config: Config,
  options: StartOptions = {},
): Promise<EdgeProxy> {
  const log = options.log ?? logger("proxy");
  const now = options.now ?? Date.now;
  const metrics = new Metrics();
  // Loaded only when configured: node:tls and node:net cost ~10 MB of RSS on every node.
  const mtls = config.listenTls ? await import("./listen/mtls_listener.ts") : null;
  const tlsPem = mtls && config.listenTls ? await mtls.readListenTls(config.listenTls) : null;
  const { servers, creds } = options.upstream ??
    await resolveUpstream(config);
  const pool = new UpstreamPool(servers, creds, {
    probeIntervalMs: config.upstream.probeIntervalMs,
    probeTimeoutMs: config.upstream.probeTimeoutMs,
    probePath: config.upstream.probePath,
    now,
    onStateChange(server, from, reason) {
      metrics.inc("edge_proxy_upstream_transitions_total", "Upstream state changes", {
        server: server.url.origin,
        to: server.state,
      });
      log[server.state === "down" ? "warn" : "info"]("Upstream {server} {from} -> {to}: {reason}", {
        server: server.url.origin,
        from,
        to: server.state,
        reason,
      });
    },
  });
  const rules = compileRules(config.filters);
  const kv = config.cache.enabled
    ? await openCache(
      config.cache.path,
      (level, message, props) =>
        log[level === "warn" ? "warn" : level](
          message.replaceAll("{", "(").replaceAll("}", ")"),
          props ?? {},
        ),
    )
    : null;
  const cache = kv ? await createCacheTap(kv, config, { metrics, log, now, pool }) : null;
  const shutdown = new AbortController();
  const app = createApp({
    config,
    pool,
    rules,
    cache,
    metrics,
    log,
    now,
    shutdown: shutdown.signal,
  });
  let serving = false;
  const admin = createAdminApp({ metrics, pool, ready: () => serving });
  const listen = splitHostPort(config.listen);
  const adminAt = splitHostPort(config.admin);
  // Deno.serve's last resort, also reached when a response body is cut short after its
  // headers (already logged with its request by the handler): a Kubernetes client still
  // gets a Status, never plain text.
  const onError = (e: unknown) => {
    log.warning("Response failed: {error}", { error: String(e) });
    return statusResponse(kubeStatus(500, "InternalError", "edge-proxy failed to answer"));
  };
  const server = mtls && tlsPem
    ? await mtls.serveMutualTls({
      ...listen,
      pem: tlsPem,
      onError,
      onRefused: (reason) => log.debug("TLS client refused: {reason}", { reason }),
    }, app.fetch)
    : Deno.serve({ ...listen, onListen: () => {}, onError }, app.fetch);
  const adminServer = Deno.serve({ ...adminAt, onListen: () => {}, onError }, admin.fetch);
  pool.start();
  serving = true;
  const url = `${tlsPem ? "https" : "http"}://${fmtHost(server.addr.hostname)}:${server.addr.port}`;
  const adminUrl = `http://${fmtHost(adminServer.addr.hostname)}:${adminServer.addr.port}`;
  log.info("Serving the Kubernetes API on {url} (admin {adminUrl}) for {servers}", {
    url,
    adminUrl,
    servers,
  });
  options.onListen?.({ url, adminUrl });
  let closing: Promise<void> | undefined;
  return {
    url,
    adminUrl,
    pool,
    metrics,
    kv,
    close() {
      closing ??= (async () => {
        serving = false;
        shutdown.abort(new Error("edge-proxy is shutting down"));
        await pool.stop();
        await cache?.close();
        // Deno.serve's shutdown waits for open responses; the shutdown signal has ended
        // watches and upstream requests, so this returns promptly.
        await Promise.all([server.shutdown(), adminServer.shutdown()]);
        kv?.close();
      })();
      return closing;
    },
  };
}

function fmtHost(h: string): string {
  return h.includes(":") ? `[${h}]` : h;
}
