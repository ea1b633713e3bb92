/**
 * @module The stack the end-to-end tests run: simulated apiserver, a breakable link, and
 * edge-proxy in front, all on 127.0.0.1 with a temporary cache.
 */
import { parseConfig, withOverrides } from "../../src/config.ts";
import { type EdgeProxy, startEdgeProxy } from "../../src/edge_proxy.ts";
import { FaultyLink } from "../../src/sim/faulty_link.ts";
import { type SimApiserver, startSimApiserver } from "../../src/sim/sim_apiserver.ts";
import { SimStore } from "../../src/sim/sim_store.ts";

/** A running stack. */
export interface Stack {
  sim: SimApiserver;
  link: FaultyLink;
  proxy: EdgeProxy;
  dir: string;
  cachePath: string;
  /** Restarts the proxy on the same cache file (a reboot); the link keeps its mode. */
  restart(): Promise<EdgeProxy>;
  close(): Promise<void>;
}

/** Options for {@linkcode startStack}. */
export interface StackOptions {
  /** config.yaml text; listen/admin/upstream/cache are overridden. @default the repo's rule */
  config?: string;
  store?: SimStore;
}

/** The tests' default config.yaml: quick probes and the original brief's skip- rule. */
export const DEFAULT_CONFIG = `
upstream:
  probeIntervalMs: 200
  probeTimeoutMs: 300
  connectTimeoutMs: 500
filters:
  - resources: [configmaps, pods]
    drop:
      namePrefix: "skip-"
`;

/** Starts sim, link and proxy. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const dir = await Deno.makeTempDir({ prefix: "edge-proxy-e2e-" });
  const sim = await startSimApiserver({ store: options.store ?? new SimStore() });
  const link = await FaultyLink.start({ hostname: "127.0.0.1", port: sim.port });
  const cachePath = `${dir}/cache/cache.kv`;
  const config = withOverrides(parseConfig(options.config ?? DEFAULT_CONFIG, "test config"), {
    listen: "127.0.0.1:0",
    admin: "127.0.0.1:0",
    upstreams: [link.url],
    cache: cachePath,
  });
  const stack: Stack = {
    sim,
    link,
    proxy: await startEdgeProxy(config),
    dir,
    cachePath,
    async restart() {
      await stack.proxy.close();
      stack.proxy = await startEdgeProxy(config);
      return stack.proxy;
    },
    async close() {
      await stack.proxy.close();
      await link.close();
      await sim.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  return stack;
}

/** Waits until `cond()` holds, polling every 20 ms, at most `ms`. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  ms = 5000,
  what = "condition",
): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
}

/** The value of one unlabelled series in the proxy's `/metrics` text, 0 when absent. */
export function metric(proxy: EdgeProxy, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(proxy.metrics.render());
  return m ? Number(m[1]) : 0;
}
