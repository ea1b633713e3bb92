/**
 * @module Deno KV refuses an atomic commit whose keys total over 80 KiB. A list of thousands of
 * small objects (tiny values, ~100-byte keys) hit that limit before the commit byte budget and
 * was never cached (found by the SIGTERM fault test); it must be cached and served offline.
 */
import { assertEquals } from "../assert.ts";
import { CommitBatch } from "../../src/cache/commit_batch.ts";
import { startStack } from "../e2e/harness.ts";
import { kubeJson, names } from "../e2e/kube_client.ts";
import { assertFromCache, waitCommitted } from "../e2e/offline_helpers.ts";

Deno.test("a list of 2,000 small objects is cached and served offline", async () => {
  const s = await startStack();
  try {
    for (let i = 0; i < 2000; i++) {
      s.sim.store.create("configmaps", { metadata: { name: `small-${i}`, namespace: "default" } });
    }
    const path = "/api/v1/namespaces/default/configmaps";
    const online = await kubeJson(s.proxy.url, path);
    assertEquals(names(online.body).length, 2000);
    await waitCommitted(s.proxy, 1, 10_000);
    s.link.setMode("refuse");
    const off = await kubeJson(s.proxy.url, path);
    assertEquals(off.status, 200, JSON.stringify(off.body).slice(0, 300));
    assertFromCache(off.headers);
    assertEquals(off.body.items, online.body.items);
  } finally {
    await s.close();
  }
});

Deno.test("CommitBatch splits 900 small records with long keys into commits KV accepts", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const batch = new CommitBatch(kv);
    for (let i = 0; i < 900; i++) {
      await batch.set(["edge-proxy-test", "x".repeat(120), i], new Uint8Array([1]));
    }
    await batch.flush();
    assertEquals((await Array.fromAsync(kv.list({ prefix: ["edge-proxy-test"] }))).length, 900);
  } finally {
    kv.close();
  }
});
