/**
 * @module Which cached entry answers which request offline: broader entries serve narrower
 * requests with the request's selectors applied locally, pagination is the cache's own, and
 * whatever no entry of the client's own partition covers is a 503, never a guess.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { makeConfigMap, makePod } from "../../src/sim/fixtures.ts";
import { startStack } from "./harness.ts";
import { kubeFetch, kubeJson, names } from "./kube_client.ts";
import { assertFromCache, waitCommitted } from "./offline_helpers.ts";

type Item = { metadata: { name: string; namespace: string; labels?: Record<string, string> } };

Deno.test("offline lists and gets are answered from the entry that covers them, and only those", async (t) => {
  const s = await startStack();
  try {
    const store = s.sim.store;
    for (let i = 0; i < 10; i++) {
      store.create(
        "configmaps",
        makeConfigMap(i, {
          namespace: i < 6 ? "default" : "kube-system",
          labels: { tier: i % 2 ? "back" : "front" },
        }),
      );
      store.create("pods", makePod(i, { nodeName: i % 3 === 0 ? "node-1" : "node-2" }));
    }
    // kubelet: all configmaps and all pods, unselected. coredns: only the front configmaps.
    const allCms = await kubeJson(s.proxy.url, "/api/v1/configmaps");
    const allPods = await kubeJson(s.proxy.url, "/api/v1/pods");
    const cdns = { userAgent: "coredns/v1.11.1", token: "coredns-token" };
    const front = await kubeJson(
      s.proxy.url,
      "/api/v1/namespaces/default/configmaps?labelSelector=tier%3Dfront",
      cdns,
    );
    assertEquals(names(front.body), ["cm-0", "cm-2", "cm-4"]);
    const onlineGet = await kubeFetch(s.proxy.url, "/api/v1/namespaces/default/configmaps/cm-3");
    const onlineBytes = await onlineGet.bytes();
    await waitCommitted(s.proxy, 4);
    s.link.setMode("refuse");

    const items = (b: { items?: unknown[] }) => (b.items ?? []) as Item[];
    const expect = (pred: (i: Item) => boolean, from = allCms.body) =>
      items(from).filter(pred).map((i) => i.metadata.name).sort();

    await t.step("an all-namespace entry serves a namespaced request", async () => {
      const r = await kubeJson(s.proxy.url, "/api/v1/namespaces/kube-system/configmaps");
      assertEquals(r.status, 200, JSON.stringify(r.body));
      assertFromCache(r.headers);
      assertEquals(names(r.body), ["cm-6", "cm-7", "cm-8", "cm-9"]);
    });

    await t.step("an unselected entry serves label selectors, applied locally", async () => {
      const cases: [string, (i: Item) => boolean][] = [
        ["tier%3Dback", (i) => i.metadata.labels?.tier === "back"],
        ["tier!%3Dback", (i) => i.metadata.labels?.tier !== "back"],
        ["tier%20in%20(front),app%3Dapp-4", (i) => i.metadata.name === "cm-4"],
        ["!tier", () => false],
      ];
      for (const [q, pred] of cases) {
        const r = await kubeJson(s.proxy.url, `/api/v1/configmaps?labelSelector=${q}`);
        assertEquals(r.status, 200, q);
        assertEquals(names(r.body), expect(pred), q);
      }
      const ns = await kubeJson(
        s.proxy.url,
        "/api/v1/namespaces/default/configmaps?labelSelector=tier%3Dback",
      );
      assertEquals(names(ns.body), ["cm-1", "cm-3", "cm-5"]);
    });

    await t.step("field selectors are applied locally", async () => {
      const node1 = await kubeJson(
        s.proxy.url,
        "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-1",
      );
      assertEquals(node1.status, 200);
      assertEquals(names(node1.body), ["pod-0", "pod-3", "pod-6", "pod-9"]);
      const notNode1 = await kubeJson(
        s.proxy.url,
        "/api/v1/pods?fieldSelector=spec.nodeName!%3Dnode-1",
      );
      assertEquals(names(notNode1.body).length, 6);
      const byName = await kubeJson(
        s.proxy.url,
        "/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Dpod-4",
      );
      assertEquals(names(byName.body), ["pod-4"]);
      assertEquals(
        byName.body.items,
        items(allPods.body).filter((p) => p.metadata.name === "pod-4"),
      );
      const cm = await kubeJson(
        s.proxy.url,
        "/api/v1/configmaps?fieldSelector=metadata.namespace%3Dkube-system,metadata.name!%3Dcm-7",
      );
      assertEquals(names(cm.body), ["cm-6", "cm-8", "cm-9"]);
    });

    await t.step("a list no entry covers is a 503 Status that says so", async () => {
      for (
        const [path, r] of [
          ["/api/v1/services", {}],
          // coredns cached only tier=front: neither everything nor tier=back is covered.
          ["/api/v1/namespaces/default/configmaps", cdns],
          ["/api/v1/namespaces/default/configmaps?labelSelector=tier%3Dback", cdns],
          ["/api/v1/configmaps?labelSelector=tier%3Dfront", cdns],
        ] as const
      ) {
        const res = await kubeJson(s.proxy.url, path, r);
        assertEquals(res.status, 503, path);
        assertEquals(res.body.kind, "Status");
        assertEquals(res.body.reason, "ServiceUnavailable");
        assertMatch(String(res.body.message), /no complete copy/);
      }
      const narrower = await kubeJson(
        s.proxy.url,
        "/api/v1/namespaces/default/configmaps?labelSelector=tier%3Dfront,app%3Dapp-2",
        cdns,
      );
      assertEquals(names(narrower.body), ["cm-2"]);
    });

    await t.step("another client identity never gets kubelet's data", async () => {
      for (
        const r of [
          { userAgent: "kube-proxy/v1.32.0" },
          { token: "another-node-token" },
          { userAgent: "coredns/v1.11.1", token: "node-token" },
        ]
      ) {
        const res = await kubeJson(s.proxy.url, "/api/v1/pods", r);
        assertEquals(res.status, 503, JSON.stringify(r));
        assertEquals(res.body.kind, "Status");
        const get = await kubeJson(s.proxy.url, "/api/v1/namespaces/default/pods/pod-1", r);
        assertEquals(get.status, 503, JSON.stringify(r));
      }
    });

    await t.step("limit and continue page through the whole list exactly once", async () => {
      const seen: string[] = [];
      let cont = "";
      let rv = "";
      for (let page = 0; page < 20; page++) {
        const q = `limit=3${cont ? `&continue=${encodeURIComponent(cont)}` : ""}`;
        const r = await kubeJson(s.proxy.url, `/api/v1/configmaps?${q}`);
        assertEquals(r.status, 200, JSON.stringify(r.body));
        const meta = r.body.metadata as { resourceVersion: string; continue?: string };
        assert(r.body.items!.length <= 3);
        rv ||= meta.resourceVersion;
        assertEquals(meta.resourceVersion, rv);
        seen.push(...r.body.items!.map((i) => i.metadata.name));
        if (!meta.continue) break;
        cont = meta.continue;
      }
      assertEquals(seen.length, 10);
      assertEquals([...seen].sort(), expect(() => true));
      // A label selector with paging: the limit counts matching items only.
      const first = await kubeJson(
        s.proxy.url,
        "/api/v1/configmaps?labelSelector=tier%3Dback&limit=4",
      );
      assertEquals(first.body.items!.length, 4);
      const tok = (first.body.metadata as { continue: string }).continue;
      const rest = await kubeJson(
        s.proxy.url,
        `/api/v1/configmaps?labelSelector=tier%3Dback&limit=4&continue=${encodeURIComponent(tok)}`,
      );
      assertEquals(rest.body.items!.length, 1);
      assertEquals((rest.body.metadata as { continue?: string }).continue, undefined);
    });

    await t.step("a stale or foreign continue token is 410 Expired", async () => {
      const stale = btoa(JSON.stringify({ v: "edge1", rv: "1", ns: "default", name: "cm-1" }));
      for (const tok of ["not-a-token", stale, "eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ"]) {
        const r = await kubeJson(
          s.proxy.url,
          `/api/v1/configmaps?limit=2&continue=${encodeURIComponent(tok)}`,
        );
        assertEquals(r.status, 410, tok);
        assertEquals(r.body.kind, "Status");
        assertEquals(r.body.reason, "Expired");
      }
    });

    await t.step("an offline get from a covering entry is the object byte for byte", async () => {
      const r = await kubeFetch(s.proxy.url, "/api/v1/namespaces/default/configmaps/cm-3");
      assertEquals(r.status, 200);
      assertFromCache(r.headers);
      assertEquals(await r.bytes(), onlineBytes);
      const pod = await kubeJson(s.proxy.url, "/api/v1/namespaces/default/pods/pod-7");
      assertEquals(pod.status, 200);
      assertEquals(pod.body, items(allPods.body).find((p) => p.metadata.name === "pod-7"));
    });

    await t.step(
      "an offline get of an object the complete entry lacks is 404 NotFound",
      async () => {
        const r = await kubeJson(s.proxy.url, "/api/v1/namespaces/default/configmaps/nope");
        assertEquals(r.status, 404);
        assertEquals(r.body.kind, "Status");
        assertEquals(r.body.reason, "NotFound");
        // cm-7 exists, in kube-system only.
        const wrongNs = await kubeJson(s.proxy.url, "/api/v1/namespaces/default/configmaps/cm-7");
        assertEquals(wrongNs.status, 404);
      },
    );

    await t.step(
      "an offline get no entry covers is 503, even when the object is absent",
      async () => {
        const svc = await kubeJson(s.proxy.url, "/api/v1/namespaces/default/services/kubernetes");
        assertEquals(svc.status, 503);
        assertEquals(svc.body.reason, "ServiceUnavailable");
        // coredns's only entry is tier=front: it cannot vouch for cm-1 (tier=back) or "nope".
        for (const name of ["cm-1", "nope"]) {
          const r = await kubeJson(
            s.proxy.url,
            `/api/v1/namespaces/default/configmaps/${name}`,
            cdns,
          );
          assertEquals(r.status, 503, name);
        }
      },
    );
  } finally {
    await s.close();
  }
});

Deno.test("an offline get answers from the newest covering entry, not an older narrower one", async () => {
  const s = await startStack();
  try {
    const store = s.sim.store;
    for (let i = 0; i < 3; i++) store.create("configmaps", makeConfigMap(i));
    const path = "/api/v1/namespaces/default/configmaps";
    // Gets first: each becomes a one-object entry.
    for (const n of ["cm-1", "cm-2"]) {
      const r = await kubeFetch(s.proxy.url, `${path}/${n}`);
      assertEquals(r.status, 200);
      await r.body?.cancel();
    }
    await waitCommitted(s.proxy, 2);
    // Then cm-1 changes and cm-2 is deleted, and a list sees both.
    const cm1 = store.get("configmaps", "default", "cm-1");
    store.update("configmaps", { ...cm1, data: { changed: "yes" } });
    store.delete("configmaps", "default", "cm-2");
    const list = await kubeJson(s.proxy.url, path);
    assertEquals(names(list.body), ["cm-0", "cm-1"]);
    await waitCommitted(s.proxy, 3);
    s.link.setMode("refuse");

    const got = await kubeJson(s.proxy.url, `${path}/cm-1`);
    assertEquals(got.status, 200);
    assertEquals(got.body.data, { changed: "yes" });
    const gone = await kubeJson(s.proxy.url, `${path}/cm-2`);
    assertEquals(gone.status, 404, "the list the cache holds says cm-2 no longer exists");
    const offList = await kubeJson(s.proxy.url, path);
    assertEquals(names(offList.body), ["cm-0", "cm-1"]);
  } finally {
    await s.close();
  }
});
