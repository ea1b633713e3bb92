/**
 * @module A real informer (`@kubernetes/client-node`) through the proxy across an outage during
 * which objects change: it keeps running, and once the link is back its view is the apiserver's.
 */
import * as k8s from "@kubernetes/client-node";
import { kubeConfig } from "./client_node.ts";
import { assertEquals } from "../assert.ts";
import { makeConfigMap } from "../../src/sim/fixtures.ts";
import { startStack, waitFor } from "./harness.ts";
import { waitCommitted } from "./offline_helpers.ts";

Deno.test("an informer through the proxy survives an outage and converges on the apiserver's view", async () => {
  const s = await startStack();
  const store = s.sim.store;
  const kc = kubeConfig(s.proxy.url);
  const api = kc.makeApiClient(k8s.CoreV1Api);
  const informer = k8s.makeInformer(
    kc,
    "/api/v1/namespaces/default/configmaps",
    () => api.listNamespacedConfigMap({ namespace: "default" }),
  );
  const errors: unknown[] = [];
  informer.on("error", (e) => errors.push(e));
  const view = () =>
    Object.fromEntries(
      informer.list("default").map((o) => [o.metadata!.name!, o.metadata!.resourceVersion!]),
    );
  const truth = () =>
    Object.fromEntries(
      store.list("configmaps", { namespace: "default" }).items.map((
        o,
      ) => [o.metadata.name!, o.metadata.resourceVersion!]),
    );
  const same = () => JSON.stringify(view()) === JSON.stringify(truth());
  try {
    for (let i = 0; i < 5; i++) store.create("configmaps", makeConfigMap(i));
    await informer.start();
    await waitFor(same, 5000, "initial list");
    await waitCommitted(s.proxy, 1);
    store.create("configmaps", makeConfigMap(5));
    await waitFor(same, 5000, "an online change");

    s.link.setMode("refuse");
    await waitFor(() => !s.proxy.pool.online(), 3000, "proxy offline");
    await new Promise((r) => setTimeout(r, 300)); // let the informer re-watch into the outage
    store.create("configmaps", makeConfigMap(6));
    const cm1 = store.get("configmaps", "default", "cm-1");
    store.update("configmaps", { ...cm1, data: { during: "outage" } });
    store.delete("configmaps", "default", "cm-2");
    await new Promise((r) => setTimeout(r, 300));

    s.link.setMode("pass");
    await waitFor(same, 6000, "the informer's view to match the apiserver after the outage");
    assertEquals(informer.get("cm-1", "default")?.data, { during: "outage" });
    assertEquals(errors.map(String), []);
  } finally {
    await informer.stop();
    await s.close();
  }
});
