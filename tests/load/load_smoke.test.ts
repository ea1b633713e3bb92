/**
 * @module A short version of the load benchmark (bench/load_bench.ts): informer-like watches,
 * lists and writes through the proxy with the link cut in the middle; no event lost or
 * reordered, every watcher ends with the apiserver's view.
 */
import { assert, assertEquals } from "../assert.ts";
import { makeConfigMap } from "../../src/sim/fixtures.ts";
import { runLoad } from "../../bench/load_workload.ts";
import { startStack } from "../e2e/harness.ts";

Deno.test("20 watches, lists and writes through a cut link: no event lost or reordered, views converge", async () => {
  const s = await startStack();
  try {
    for (let i = 0; i < 200; i++) {
      s.sim.store.create("configmaps", makeConfigMap(i, { name: `cm-${i}` }));
    }
    const r = await runLoad({
      proxyUrl: s.proxy.url,
      directUrl: s.sim.url,
      namespace: "default",
      watches: 20,
      listsPerSecond: 5,
      writesPerSecond: 20,
      seconds: 4,
      cut: { from: 1.5, to: 3, set: (down) => s.link.setMode(down ? "refuse" : "pass") },
    });
    assertEquals(r.problems, []);
    assertEquals([r.diverged, r.unconverged, r.writeErrors], [0, 0, 0]);
    assert(r.events >= 60, `${r.events} events`);
    assert(r.listsFromCache > 0, "lists during the cut come from the cache");
    // A list whose body was streaming at the very moment of the cut is cut short with it.
    assert(r.listErrors <= 1, `${r.listErrors} list errors`);
    assert(r.rewatches >= 20, "every watcher re-watched after the cut");
  } finally {
    await s.close();
  }
});
