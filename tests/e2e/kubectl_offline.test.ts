/**
 * @module Real kubectl with the link cut: `kubectl get` (a server-side Table) is answered from
 * what its online Table lists cached, with the dropped objects still absent.
 */
import { assert, assertEquals } from "../assert.ts";
import { makeConfigMap, makePod } from "../../src/sim/fixtures.ts";
import { startStack, waitFor } from "./harness.ts";
import { kubeconfigFor, KUBECTL, kubectl } from "./kubectl_run.ts";
import { waitCommitted } from "./offline_helpers.ts";

/** The NAME column of kubectl's table output. */
function names(out: string): string[] {
  return out.trim().split("\n").slice(1).map((l) => l.split(/\s+/)[0]).sort();
}

Deno.test({
  name: "kubectl get pods and configmaps keeps answering from the cache when the link is cut",
  ignore: !KUBECTL,
  async fn() {
    const s = await startStack();
    try {
      for (let i = 0; i < 6; i++) {
        s.sim.store.create("pods", makePod(i, { name: i % 2 ? `skip-p${i}` : `p${i}` }));
        s.sim.store.create(
          "configmaps",
          makeConfigMap(i, { name: i % 2 ? `skip-c${i}` : `c${i}` }),
        );
      }
      const kc = await kubeconfigFor(s);
      const online = {
        pods: await kubectl(kc, ["get", "pods"]),
        cms: await kubectl(kc, ["get", "configmaps"]),
      };
      assertEquals(online.pods.code, 0, online.pods.err);
      assertEquals(names(online.pods.out), ["p0", "p2", "p4"]);
      assertEquals(names(online.cms.out), ["c0", "c2", "c4"]);
      await waitCommitted(s.proxy, 2);
      s.link.setMode("refuse");
      await waitFor(() => !s.proxy.pool.online(), 5000, "the proxy to see the link down");
      const pods = await kubectl(kc, ["get", "pods"]);
      assertEquals(pods.code, 0, pods.err);
      assertEquals(names(pods.out), ["p0", "p2", "p4"]);
      assert(pods.err.includes("served from the edge cache"), `kubectl printed: ${pods.err}`);
      const cms = await kubectl(kc, ["get", "configmaps", "-o", "name"]);
      assertEquals(cms.code, 0, cms.err);
      assertEquals(cms.out.trim().split("\n").sort(), [
        "configmap/c0",
        "configmap/c2",
        "configmap/c4",
      ]);
      const one = await kubectl(kc, ["get", "pod", "p2", "-o", "jsonpath={.spec.nodeName}"]);
      assertEquals(one.code, 0, one.err);
      const missing = await kubectl(kc, ["get", "pod", "skip-p1"]);
      assert(missing.code !== 0 && /not found/i.test(missing.err), missing.err);
    } finally {
      await s.close();
    }
  },
});
