/**
 * @module A real informer (`@kubernetes/client-node`) through the proxy: it sees adds, updates
 * and deletes, never a dropped object, and loses the one a label change moves into a drop rule.
 */
import * as k8s from "@kubernetes/client-node";
import { kubeConfig } from "./client_node.ts";
import { assert, assertEquals } from "../assert.ts";
import { startStack, waitFor } from "./harness.ts";

const CONFIG = `
upstream: {probeIntervalMs: 200, probeTimeoutMs: 300, connectTimeoutMs: 500}
filters:
  - resources: [configmaps]
    drop: {namePrefix: "skip-"}
  - resources: [configmaps]
    drop: {labelSelector: "hidden=true"}
`;

function cm(name: string, labels: Record<string, string> = {}) {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: "default", labels },
    data: { a: "1" },
  };
}

Deno.test("an informer through the proxy sees adds, updates and deletes and never a dropped object", async () => {
  const s = await startStack({ config: CONFIG });
  const kc = kubeConfig(s.proxy.url);
  const api = kc.makeApiClient(k8s.CoreV1Api);
  const informer = k8s.makeInformer(
    kc,
    "/api/v1/namespaces/default/configmaps",
    () => api.listNamespacedConfigMap({ namespace: "default" }),
  );
  const seen = new Map<string, k8s.V1ConfigMap>();
  const everSeen = new Set<string>();
  informer.on("add", (o) => {
    seen.set(o.metadata!.name!, o);
    everSeen.add(o.metadata!.name!);
  });
  informer.on("update", (o) => seen.set(o.metadata!.name!, o));
  informer.on("delete", (o) => seen.delete(o.metadata!.name!));
  try {
    s.sim.store.create("configmaps", cm("before-1"));
    s.sim.store.create("configmaps", cm("skip-before"));
    await informer.start();
    await waitFor(() => seen.has("before-1"), 5000, "initial list");
    s.sim.store.create("configmaps", cm("live-1"));
    s.sim.store.create("configmaps", cm("skip-live"));
    await waitFor(() => seen.has("live-1"), 5000, "watch ADDED");
    const live = s.sim.store.get("configmaps", "default", "live-1");
    s.sim.store.update("configmaps", { ...live, data: { a: "2" } });
    await waitFor(() => seen.get("live-1")?.data?.a === "2", 5000, "watch MODIFIED");
    // A label change moves before-1 into a drop rule: the informer must forget it.
    const b = s.sim.store.get("configmaps", "default", "before-1");
    s.sim.store.update("configmaps", {
      ...b,
      metadata: { ...b.metadata, labels: { hidden: "true" } },
    });
    await waitFor(() => !seen.has("before-1"), 5000, "dropped MODIFIED turned into DELETED");
    s.sim.store.delete("configmaps", "default", "live-1");
    await waitFor(() => !seen.has("live-1"), 5000, "watch DELETED");
    assert(![...everSeen].some((n) => n.startsWith("skip-")), `saw ${[...everSeen]}`);
    assertEquals([...seen.keys()], []);
  } finally {
    await informer.stop();
    await s.close();
  }
});
