import { assert, assertEquals } from "./_assert.ts";
import { makeConfigMap, makePod, makeSecret } from "../../src/sim/fixtures.ts";
import { SimStore } from "../../src/sim/sim_store.ts";

Deno.test("makePod builds a realistic pod of about 6 KB, deterministic in its index", () => {
  const pod = makePod(42, { nodeName: "edge-1", labels: { extra: "1" } });
  const size = JSON.stringify(pod).length;
  assert(size > 5000 && size < 8000, `pod is ${size} bytes`);
  assertEquals(
    JSON.stringify(makePod(42, { nodeName: "edge-1", labels: { extra: "1" } })),
    JSON.stringify(pod),
  );
  assertEquals((pod.spec as { nodeName: string }).nodeName, "edge-1");
  assertEquals(pod.metadata.labels?.extra, "1");
  assert(Array.isArray(pod.metadata.managedFields));
});

Deno.test("fixtures load into SimStore as valid objects", () => {
  const s = new SimStore({ namespaces: [] });
  s.create("pods", makePod(1));
  s.create("configmaps", makeConfigMap(1, { namespace: "kube-system" }));
  s.create("secrets", makeSecret(1));
  assertEquals(s.list("pods", { fieldSelector: "spec.nodeName=node-1" }).items.length, 1);
  assertEquals(s.get("configmaps", "kube-system", "cm-1").metadata.name, "cm-1");
  assertEquals(s.get("secrets", "default", "secret-1").type, "Opaque");
});
