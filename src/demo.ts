/**
 * @module `deno task demo`: edge-proxy in front of the simulated apiserver, with a switch to cut
 * the link, so everything can be tried with kubectl and no cluster.
 */
import { Hono } from "hono";
import { parseConfig, withOverrides } from "./config.ts";
import { startEdgeProxy } from "./edge_proxy.ts";
import { setupLogging } from "./log.ts";
import { FaultyLink, type LinkMode } from "./sim/faulty_link.ts";
import { makeConfigMap, makePod } from "./sim/fixtures.ts";
import { startSimApiserver } from "./sim/sim_apiserver.ts";

const dir = await Deno.makeTempDir({ prefix: "edge-proxy-demo-" });
await setupLogging({ level: "info" });
const sim = await startSimApiserver({ port: 0 });
for (let i = 0; i < 10; i++) {
  sim.store.create(
    "configmaps",
    makeConfigMap(i, { name: i % 2 ? `skip-demo-${i}` : `demo-${i}`, labels: { app: "demo" } }),
  );
}
for (let i = 0; i < 5; i++) sim.store.create("pods", makePod(i, { nodeName: "edge-node-1" }));
const link = await FaultyLink.start({ hostname: "127.0.0.1", port: sim.port });
const text = await Deno.readTextFile(new URL("../config.yaml", import.meta.url)).catch(() => "");
const config = withOverrides(parseConfig(text, "config.yaml"), {
  upstreams: [link.url],
  cache: `${dir}/cache.kv`,
  listen: "127.0.0.1:10261",
  admin: "127.0.0.1:10267",
});
const proxy = await startEdgeProxy(config);

const control = new Hono();
control.post("/link/:mode", (c) => {
  const mode = c.req.param("mode") as LinkMode;
  if (!["pass", "refuse", "blackhole", "reset"].includes(mode)) {
    return c.text("unknown mode\n", 400);
  }
  link.setMode(mode);
  return c.text(`link is now ${mode}\n`);
});
const ctl = Deno.serve({ hostname: "127.0.0.1", port: 10269, onListen: () => {} }, control.fetch);

const kubeconfig = `${dir}/kubeconfig`;
await Deno.writeTextFile(
  kubeconfig,
  `apiVersion: v1
kind: Config
clusters: [{name: edge, cluster: {server: "${proxy.url}"}}]
users: [{name: edge, user: {token: demo}}]
contexts: [{name: edge, context: {cluster: edge, user: edge, namespace: default}}]
current-context: edge
`,
);
console.log(`
edge-proxy demo is running.
  simulated apiserver  ${sim.url}   (behind a breakable link ${link.url})
  edge-proxy           ${proxy.url}
  admin                ${proxy.adminUrl}/metrics

Try:
  export KUBECONFIG=${kubeconfig}
  kubectl get configmaps                 # the skip-* ones are filtered out
  kubectl get pods -o wide
  curl -X POST 127.0.0.1:10269/link/refuse      # cut the link (also: blackhole, reset, pass)
  kubectl get configmaps                 # answered from the edge cache, with a Warning
  curl -X POST 127.0.0.1:10269/link/pass        # back online
  curl -s ${proxy.adminUrl}/metrics | grep edge_proxy_

Ctrl-C to stop.
`);
const { promise, resolve } = Promise.withResolvers<void>();
Deno.addSignalListener("SIGINT", () => resolve());
Deno.addSignalListener("SIGTERM", () => resolve());
await promise;
await proxy.close();
await ctl.shutdown();
await link.close();
await sim.close();
await Deno.remove(dir, { recursive: true });
Deno.exit(0);
