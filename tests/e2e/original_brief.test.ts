/**
 * @module The original brief's grader, through the proxy: 100 configmaps labelled alike, the
 * `skip-` ones filtered out everywhere, and the list still served exactly once the link dies.
 */
import { assert, assertEquals } from "../assert.ts";
import { metric, startStack, waitFor } from "./harness.ts";
import { kubeFetch, kubeJson, names } from "./kube_client.ts";

const NS = "/api/v1/namespaces/default/configmaps";

Deno.test("list with the label selector returns exactly the 50 kept configmaps, and GET of a skip- one is 404", async () => {
  const s = await startStack();
  try {
    for (let i = 0; i < 100; i++) {
      const name = i % 2 ? `skip-cm-${i}` : `cm-${i}`;
      const r = await kubeFetch(s.proxy.url, NS, {
        method: "POST",
        body: {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name, labels: { brief: "yes" } },
          data: { i: String(i) },
        },
      });
      assertEquals(r.status, 201, await r.text());
    }
    const list = await kubeJson(s.proxy.url, `${NS}?labelSelector=brief%3Dyes`);
    assertEquals(list.status, 200);
    const expected = Array.from({ length: 50 }, (_, k) => `cm-${2 * k}`).sort();
    assertEquals(names(list.body), expected);
    assert(typeof (list.body.metadata as { resourceVersion: string }).resourceVersion === "string");
    const skip = await kubeJson(s.proxy.url, `${NS}/skip-cm-1`);
    assertEquals(skip.status, 404);
    assertEquals(skip.body.kind, "Status");
    assertEquals(skip.body.reason, "NotFound");
    const kept = await kubeJson(s.proxy.url, `${NS}/cm-2`);
    assertEquals(kept.status, 200);
  } finally {
    await s.close();
  }
});

for (const mode of ["refuse", "blackhole", "reset"] as const) {
  Deno.test(`after the link fails (${mode}), a list still returns exactly the 100 configmaps created through the proxy`, async () => {
    const s = await startStack();
    try {
      for (let i = 0; i < 100; i++) {
        const r = await kubeFetch(s.proxy.url, NS, {
          method: "POST",
          body: {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: `brief-${i}`, labels: { brief: mode } },
          },
        });
        assertEquals(r.status, 201);
        await r.body?.cancel();
      }
      const q = `${NS}?labelSelector=brief%3D${mode}`;
      for (let k = 0; k < 2; k++) {
        const online = await kubeJson(s.proxy.url, q);
        assertEquals(online.body.items?.length, 100);
      }
      // The cache writer runs behind the response; wait until the entry is committed and the
      // second list was either written too or skipped because the first was still being written.
      const committed = () => metric(s.proxy, "edge_proxy_cache_lists_committed");
      await waitFor(
        () =>
          committed() >= 1 &&
          committed() + metric(s.proxy, "edge_proxy_cache_lists_skipped_busy") >= 2,
        5000,
        "cache commit",
      );
      s.link.setMode(mode);
      const t0 = Date.now();
      const offline = await kubeJson(s.proxy.url, q);
      const ms = Date.now() - t0;
      assertEquals(offline.status, 200, JSON.stringify(offline.body));
      assertEquals(names(offline.body), Array.from({ length: 100 }, (_, i) => `brief-${i}`).sort());
      assert(
        offline.headers.get("warning")?.includes("served from the edge cache"),
        "Warning header",
      );
      // Black-holed: bounded by connectTimeoutMs (500 ms in the harness) plus slack.
      assert(ms < 3000, `offline answer took ${ms} ms`);
    } finally {
      await s.close();
    }
  });
}
