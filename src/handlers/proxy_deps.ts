/**
 * @module What the request handlers are given: dependencies of the app and one request's facts.
 */
import type { Logger } from "@logtape/logtape";
import type { Metrics } from "../admin/metrics.ts";
import type { Config } from "../config.ts";
import type { CompiledRules } from "../filter/rules.ts";
import type { RequestInfo } from "../kube/request_info.ts";
import type { UpstreamPool } from "../upstream/upstream_pool.ts";
import type { CacheTap } from "./cache_tap.ts";

/** Dependencies of the proxy app; tests build them around a simulated apiserver. */
export interface ProxyDeps {
  config: Config;
  pool: UpstreamPool;
  rules: CompiledRules;
  /** Null when caching is disabled. */
  cache: CacheTap | null;
  metrics: Metrics;
  log: Logger;
  now: () => number;
  /** Aborted when the proxy shuts down: open watches and upstream requests end. */
  shutdown: AbortSignal;
}

/** One client request, classified. */
export interface ProxyRequest {
  req: Request;
  url: URL;
  info: RequestInfo;
  userAgent: string;
  /**
   * Settles once the response has been sent or abandoned (Deno.serve's
   * `ServeHandlerInfo.completed`); absent when the app is called without a server.
   */
  completed?: Promise<void>;
  /** Where the response came from, for the request log line. */
  source: "upstream" | "cache" | "proxy";
}
