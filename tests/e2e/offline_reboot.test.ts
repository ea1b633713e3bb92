/**
 * @module The reason edge-proxy exists: after a reboot with the link down, kubelet still lists
 * its pods and the configmaps they mount, from the cache, and every such answer says so.
 */
import { assertEquals } from "../assert.ts";
import { makeConfigMap, makePod } from "../../src/sim/fixtures.ts";
import { startStack } from "./harness.ts";
import { kubeJson, names } from "./kube_client.ts";
import { assertFromCache, scrape, series, waitCommitted } from "./offline_helpers.ts";

const PODS = "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-1";
const CMS = "/api/v1/namespaces/default/configmaps";

Deno.test("after a restart with the link refused, kubelet's pod and configmap lists come from the cache", async () => {
  const s = await startStack();
  try {
    for (let i = 0; i < 12; i++) {
      s.sim.store.create("pods", makePod(i, { nodeName: i % 3 === 0 ? "node-1" : "node-2" }));
      s.sim.store.create("configmaps", makeConfigMap(i));
    }
    const pods = await kubeJson(s.proxy.url, PODS);
    const cms = await kubeJson(s.proxy.url, CMS);
    assertEquals(pods.status, 200);
    assertEquals(names(pods.body), ["pod-0", "pod-3", "pod-6", "pod-9"]);
    assertEquals(cms.body.items?.length, 12);
    await waitCommitted(s.proxy, 2);

    s.link.setMode("refuse");
    const proxy = await s.restart();

    const offPods = await kubeJson(proxy.url, PODS);
    assertEquals(offPods.status, 200, JSON.stringify(offPods.body));
    assertFromCache(offPods.headers);
    assertEquals(offPods.body.items, pods.body.items);
    assertEquals(offPods.body.metadata, pods.body.metadata);
    const offCms = await kubeJson(proxy.url, CMS);
    assertEquals(offCms.status, 200, JSON.stringify(offCms.body));
    assertFromCache(offCms.headers);
    assertEquals(offCms.body.items, cms.body.items);

    const text = await scrape(proxy);
    assertEquals(series(text, "edge_proxy_cache_answers_total", { resource: "pods" }), 1);
    assertEquals(series(text, "edge_proxy_cache_answers_total", { resource: "configmaps" }), 1);
  } finally {
    await s.close();
  }
});
