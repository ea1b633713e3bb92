/**
 * @module Crash consistency, end to end: the proxy runs as a real process caching a large list
 * that changes between lists, is killed with SIGKILL at random moments, and restarted offline.
 * Every list it then serves is exactly one that the apiserver really returned, or a 503.
 */
import { assert, assertEquals } from "../assert.ts";
import { makePod } from "../../src/sim/fixtures.ts";
import { startSimApiserver } from "../../src/sim/sim_apiserver.ts";
import { SimStore } from "../../src/sim/sim_store.ts";
import { type Program, startProgram } from "./program.ts";

const PODS = 3000;
const ROUNDS = 3;
const HEADERS = {
  "user-agent": "kubelet/v1.32.0 (linux/amd64) kubernetes/abc",
  authorization: "Bearer node-token",
  accept: "application/json",
};

/** Nothing listens on port 1 of loopback (binding it needs root): connections are refused. */
const REFUSED = "http://127.0.0.1:1";

/** One list as a comparable key: its resourceVersion and every item's name and resourceVersion. */
function listKey(
  rv: string,
  items: readonly { metadata: { name?: string; resourceVersion?: string } }[],
): string {
  const pairs = items.map((i) => `${i.metadata.name}@${i.metadata.resourceVersion}`).sort();
  return `${rv}|${pairs.join(",")}`;
}

async function listPods(url: string, signal?: AbortSignal) {
  const timeout = AbortSignal.timeout(20_000); // a hung proxy fails the test, never stalls it
  const r = await fetch(`${url}/api/v1/pods`, {
    headers: HEADERS,
    signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
  });
  const body = JSON.parse(await r.text());
  return { status: r.status, body };
}

Deno.test("after kill -9 at random moments while a large list is cached, each offline list is one that existed", async () => {
  const store = new SimStore();
  for (let i = 0; i < PODS; i++) store.create("pods", makePod(i));
  const sim = await startSimApiserver({ store });
  const dir = await Deno.makeTempDir({ prefix: "edge-proxy-kill9-" });
  const cache = `${dir}/c.kv`;
  /** Every list the apiserver returned, keyed as {@linkcode listKey}. */
  const existed = new Set<string>();
  const snapshot = () => {
    const l = store.list("pods");
    existed.add(listKey(String(l.metadata.resourceVersion), l.items));
  };
  let next = PODS;
  /** Changes a third of the pods, deletes one and adds one: the next list differs a lot. */
  const mutate = (round: number) => {
    const all = store.list("pods").items;
    for (let k = round % 3; k < all.length; k += 3) {
      const p = all[k];
      store.update("pods", { ...p, metadata: { ...p.metadata, labels: { round: String(round) } } });
    }
    store.delete("pods", "default", all[0].metadata.name!);
    store.create("pods", makePod(next++));
  };
  const served: string[] = [];
  let procs: Program[] = [];
  try {
    let mutation = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const online = await startProgram(sim.url, cache);
      procs = [online];
      // One complete list and its commit, then lists of a changing set, and a kill in the middle.
      snapshot();
      const first = await listPods(online.url);
      assertEquals(first.status, 200);
      assertEquals(first.body.items.length, store.list("pods").items.length);
      mutate(++mutation);
      snapshot();
      const ctl = new AbortController();
      const lists = (async () => {
        for (let k = 0; k < 4 && !ctl.signal.aborted; k++) {
          await listPods(online.url, ctl.signal).catch(() => {});
          if (ctl.signal.aborted) return;
          mutate(++mutation);
          snapshot();
        }
      })();
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 2500));
      await online.kill("SIGKILL");
      ctl.abort();
      await lists;

      const offline = await startProgram(REFUSED, cache);
      procs = [offline];
      const got = await listPods(offline.url);
      if (got.status === 200) {
        const key = listKey(got.body.metadata.resourceVersion, got.body.items);
        assert(
          existed.has(key),
          `round ${round}: the offline list (rv ${got.body.metadata.resourceVersion}, ${got.body.items.length} items) never existed`,
        );
        served.push(got.body.metadata.resourceVersion);
      } else {
        assertEquals(got.status, 503, JSON.stringify(got.body).slice(0, 300));
      }
      await offline.kill("SIGKILL");
      procs = [];
    }
    // The very first list of round 0 committed long before its kill, so the cache is not empty.
    assert(served.length > 0, "no offline list was ever served");
  } finally {
    for (const p of procs) await p.kill("SIGKILL");
    await sim.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
