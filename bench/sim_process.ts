/**
 * @module The simulated apiserver as its own process for the benchmarks, so the client that
 * measures and the server that answers do not share one event loop (with both in one process,
 * the benchmark's own loop, not the proxy, set the pace of a watch burst).
 *
 * Prints one JSON line `{"url": ..., "control": ...}` on stdout once listening. Control:
 * `POST /burst?n=N` updates the configmap `default/burst` N times in one go; `GET /rv` answers
 * the current resourceVersion.
 */
import { makeConfigMap, makePod } from "../src/sim/fixtures.ts";
import { startSimApiserver } from "../src/sim/sim_apiserver.ts";
import { SimStore } from "../src/sim/sim_store.ts";
import { spawnReporting } from "./child_process.ts";

/**
 * A store of `pods` pods of ~6 KB on node-1, every odd one named `skip-…`, `configmaps`
 * configmaps `default/cm-N`, and `default/burst`.
 */
export function benchStore(pods: number, configmaps = 0): SimStore {
  const store = new SimStore({ historyLimit: 50_000 });
  for (let i = 0; i < configmaps; i++) {
    store.create("configmaps", makeConfigMap(i, { name: `cm-${i}` }));
  }
  for (let i = 0; i < pods; i++) {
    store.create(
      "pods",
      makePod(i, { name: i % 2 ? `skip-pod-${i}` : `pod-${i}`, nodeName: "node-1" }),
    );
  }
  store.create("configmaps", makeConfigMap(0, { name: "burst" }));
  return store;
}

/** A running simulated apiserver process. */
export interface SimProcess {
  url: string;
  /** Makes `n` updates of `default/burst` on the server; resolves once they are made. */
  burst(n: number): Promise<void>;
  /** The server's current resourceVersion. */
  resourceVersion(): Promise<string>;
  stop(): Promise<void>;
}

/** Spawns this module with `pods` pods; resolves once it listens. */
export async function startSimProcess(pods: number, configmaps = 0): Promise<SimProcess> {
  const child = await spawnReporting([
    "--allow-net",
    "--allow-read",
    new URL(import.meta.url).pathname,
    String(pods),
    String(configmaps),
  ]);
  const { url, control } = JSON.parse(child.line) as { url: string; control: string };
  return {
    url,
    async burst(n) {
      // Read to the end: a cancelled body left the pooled connection unusable for the next.
      await (await fetch(`${control}/burst?n=${n}`, { method: "POST" })).text();
    },
    async resourceVersion() {
      return await (await fetch(`${control}/rv`)).text();
    },
    stop: child.stop,
  };
}

if (import.meta.main) {
  const store = benchStore(Number(Deno.args[0] ?? 0), Number(Deno.args[1] ?? 0));
  // No gzip: on loopback it would measure CompressionStream, not the proxy.
  const sim = await startSimApiserver({ store, gzipThreshold: Number.MAX_SAFE_INTEGER });
  let updates = 0;
  const control = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/rv") return new Response(String(store.resourceVersion));
    const n = Math.min(Number(url.searchParams.get("n") ?? 1), 100_000);
    for (let i = 0; i < n; i++) {
      const cm = store.get("configmaps", "default", "burst")!;
      // A new value every time: an update that changes nothing makes no event, as in Kubernetes.
      store.update("configmaps", { ...cm, data: { i: String(updates++) } });
    }
    return new Response("ok");
  });
  console.log(JSON.stringify({ url: sim.url, control: `http://127.0.0.1:${control.addr.port}` }));
  Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
}
