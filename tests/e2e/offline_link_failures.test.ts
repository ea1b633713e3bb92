/**
 * @module How fast a cut link turns into answers from the cache: a refused link within one
 * request, a black-holed one within the connect timeout. Loose bounds; `deno task bench` has
 * the exact figures.
 */
import { assert, assertEquals } from "../assert.ts";
import { makePod } from "../../src/sim/fixtures.ts";
import { startStack } from "./harness.ts";
import { kubeJson, names } from "./kube_client.ts";
import { assertFromCache, waitCommitted } from "./offline_helpers.ts";

/** The harness's `upstream.connectTimeoutMs`. */
const CONNECT_TIMEOUT_MS = 500;
const PODS = "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-1";

for (
  const [mode, limitMs] of [
    ["refuse", 1000],
    ["blackhole", CONNECT_TIMEOUT_MS + 1000],
  ] as const
) {
  Deno.test(`a ${mode}d link is answered from the cache within ${limitMs} ms`, async () => {
    const s = await startStack();
    try {
      for (let i = 0; i < 20; i++) s.sim.store.create("pods", makePod(i));
      const online = await kubeJson(s.proxy.url, PODS);
      assertEquals(names(online.body).length, 2);
      await waitCommitted(s.proxy, 1);
      // A second list keeps a pooled connection to the link, as a busy node would have.
      await kubeJson(s.proxy.url, PODS);
      s.link.setMode(mode);
      const t0 = performance.now();
      const off = await kubeJson(s.proxy.url, PODS);
      const ms = performance.now() - t0;
      assertEquals(off.status, 200, JSON.stringify(off.body));
      assertFromCache(off.headers);
      assertEquals(off.body.items, online.body.items);
      assert(ms < limitMs, `first cached answer after ${Math.round(ms)} ms`);
      // Once the proxy knows the link is down, the next answer does not wait at all.
      const t1 = performance.now();
      const again = await kubeJson(s.proxy.url, PODS);
      assertEquals(again.status, 200);
      const ms2 = performance.now() - t1;
      assert(ms2 < 250, `second cached answer after ${Math.round(ms2)} ms`);
    } finally {
      await s.close();
    }
  });
}
