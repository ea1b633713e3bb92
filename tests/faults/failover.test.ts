/**
 * @module Several upstreams with the first one dead, refused or black-holed, from the start or
 * from the middle of the run: lists, gets and watches fail over to the next server and the
 * client sees the apiserver's own answers (never the cache's), only later.
 */
import { assert, assertEquals } from "../assert.ts";
import { makeConfigMap } from "../../src/sim/fixtures.ts";
import { FaultyLink } from "../../src/sim/faulty_link.ts";
import { startSimApiserver } from "../../src/sim/sim_apiserver.ts";
import { SimStore } from "../../src/sim/sim_store.ts";
import { waitFor } from "../e2e/harness.ts";
import { kubeFetch, kubeJson } from "../e2e/kube_client.ts";
import { startFaultProxy } from "./fault_upstream.ts";

const CMS = "/api/v1/namespaces/default/configmaps";
/** FAULT_CONFIG's `upstream.connectTimeoutMs`. */
const CONNECT_TIMEOUT_MS = 500;

async function start() {
  const store = new SimStore();
  for (let i = 0; i < 6; i++) store.create("configmaps", makeConfigMap(i));
  const sim = await startSimApiserver({ store });
  const target = { hostname: "127.0.0.1", port: sim.port };
  const first = await FaultyLink.start(target);
  const second = await FaultyLink.start(target);
  return {
    sim,
    first,
    second,
    async close() {
      await first.close();
      await second.close();
      await sim.close();
    },
  };
}

/** A list, a get and the first event of a watch through `url`; each checked against the sim. */
async function readsWork(url: string, simUrl: string): Promise<number> {
  const t0 = performance.now();
  for (const path of [CMS, `${CMS}/cm-1`]) {
    const [via, direct] = await Promise.all([kubeJson(url, path), kubeJson(simUrl, path)]);
    assertEquals(via.status, 200, JSON.stringify(via.body));
    assertEquals(via.headers.get("warning"), null, "answered from the cache, not failed over");
    assertEquals(via.body, direct.body);
  }
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), 5000);
  try {
    const rv = (await kubeJson(simUrl, CMS)).body.metadata as { resourceVersion: string };
    const w = await kubeFetch(url, `${CMS}?watch=true&resourceVersion=${rv.resourceVersion}`, {
      signal: ctl.signal,
    });
    assertEquals(w.status, 200);
    const reader = w.body!.pipeThrough(new TextDecoderStream()).getReader();
    await fetch(`${simUrl}${CMS}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ metadata: { name: `watched-${Date.now()}` } }),
    }).then((r) => r.body?.cancel());
    const { value } = await reader.read();
    assertEquals(JSON.parse(value!.split("\n")[0]).type, "ADDED");
    await reader.cancel();
  } finally {
    clearTimeout(timer);
    ctl.abort();
  }
  return performance.now() - t0;
}

for (const mode of ["refuse", "blackhole"] as const) {
  Deno.test(`with the first upstream ${mode}d from the start, reads fail over to the second and writes follow once it is known down`, async () => {
    const s = await start();
    s.first.setMode(mode);
    const p = await startFaultProxy([s.first.url, s.second.url]);
    try {
      const firstMs = await readsWork(p.proxy.url, s.sim.url);
      // A refusal costs nothing; a black hole at most the connect timeout, once.
      assert(firstMs < CONNECT_TIMEOUT_MS + 1500, `first reads took ${Math.round(firstMs)} ms`);
      await waitFor(() => p.proxy.pool.servers[0].state === "down", 3000, "first known down");
      const laterMs = await readsWork(p.proxy.url, s.sim.url);
      assert(laterMs < 1000, `later reads took ${Math.round(laterMs)} ms`);
      const created = await kubeFetch(p.proxy.url, CMS, {
        method: "POST",
        body: { metadata: { name: `via-second-${mode}` } },
      });
      assertEquals(created.status, 201, await created.text());
      assert(s.sim.store.getEntry("configmaps", "default", `via-second-${mode}`));
    } finally {
      await p.close();
      await s.close();
    }
  });

  Deno.test(`when the first upstream becomes ${mode}d mid-run, the next reads fail over to the second`, async () => {
    const s = await start();
    const p = await startFaultProxy([s.first.url, s.second.url]);
    try {
      await waitFor(() => p.proxy.pool.servers[0].state === "up", 3000, "first up");
      await readsWork(p.proxy.url, s.sim.url);
      s.first.setMode(mode);
      const t0 = performance.now();
      const r = await kubeJson(p.proxy.url, CMS);
      const ms = performance.now() - t0;
      assertEquals(r.status, 200, JSON.stringify(r.body));
      assertEquals(r.headers.get("warning"), null, "answered from the cache, not failed over");
      assertEquals(r.body, (await kubeJson(s.sim.url, CMS)).body);
      assert(ms < CONNECT_TIMEOUT_MS + 1000, `failover took ${Math.round(ms)} ms`);
      await readsWork(p.proxy.url, s.sim.url);
    } finally {
      await p.close();
      await s.close();
    }
  });
}
