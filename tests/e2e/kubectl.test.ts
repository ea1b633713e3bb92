/**
 * @module Real kubectl through the proxy: get (server-side Table), create, label, watch, delete.
 * Skips with a printed reason where kubectl is not installed.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { startStack } from "./harness.ts";
import { kubeconfigFor, KUBECTL, kubectl } from "./kubectl_run.ts";

Deno.test({
  name:
    "kubectl gets, creates, labels, watches and deletes through the proxy and never shows a skip- row",
  ignore: !KUBECTL,
  async fn() {
    const s = await startStack();
    try {
      const kc = await kubeconfigFor(s);
      for (const name of ["keep-a", "skip-b"]) {
        s.sim.store.create("configmaps", {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name, namespace: "default" },
        });
      }
      let r = await kubectl(kc, ["get", "configmaps"]);
      assertEquals(r.code, 0, r.err);
      assertMatch(r.out, /keep-a/);
      assert(!r.out.includes("skip-b"), r.out);

      r = await kubectl(
        kc,
        ["create", "--validate=false", "-f", "-"],
        JSON.stringify({
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "made-by-kubectl" },
          data: { k: "v" },
        }),
      );
      assertEquals(r.code, 0, r.err);
      assertMatch(r.out, /made-by-kubectl created/);

      r = await kubectl(kc, ["label", "configmap", "made-by-kubectl", "tier=edge"]);
      assertEquals(r.code, 0, r.err);
      assertEquals(
        s.sim.store.get("configmaps", "default", "made-by-kubectl").metadata.labels?.tier,
        "edge",
      );

      r = await kubectl(kc, ["get", "configmap", "skip-b"]);
      assert(r.code !== 0, "a filtered object must not be found");
      assertMatch(r.err, /NotFound|not found/);

      // Watch: kubectl prints the initial rows, then one per change, until its request times out.
      const watch = kubectl(kc, ["get", "configmaps", "-w", "--request-timeout=3s"]);
      await new Promise((res) => setTimeout(res, 800));
      s.sim.store.create("configmaps", {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "watched-c", namespace: "default" },
      });
      s.sim.store.create("configmaps", {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "skip-watched", namespace: "default" },
      });
      r = await watch;
      assertMatch(r.out, /watched-c/);
      assert(!r.out.includes("skip-"), r.out);

      r = await kubectl(kc, ["delete", "configmap", "made-by-kubectl"]);
      assertEquals(r.code, 0, r.err);
      assertMatch(r.out, /deleted/);
    } finally {
      await s.close();
    }
  },
});
