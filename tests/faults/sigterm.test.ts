/**
 * @module SIGTERM to the real program (`src/main.ts` as a subprocess) with watches open and a
 * large list being cached: the watches end cleanly, the process exits 0 within 5 s, and after a
 * restart offline the cached list is the old one, the new one, or one the open watch had brought
 * it to: always a list the apiserver really had, never a mix.
 */
import { assert, assertEquals } from "../assert.ts";
import { makeConfigMap } from "../../src/sim/fixtures.ts";
import { startSimApiserver } from "../../src/sim/sim_apiserver.ts";
import { SimStore } from "../../src/sim/sim_store.ts";
import { kubeFetch, kubeJson } from "../e2e/kube_client.ts";
import { readBody } from "./fault_upstream.ts";
import { type Program, startProgram } from "../e2e/program.ts";

const CMS = "/api/v1/namespaces/default/configmaps";
const COUNT = 2000;
/** Nothing listens on port 1 of loopback (binding it needs root): connections are refused. */
const REFUSED = "http://127.0.0.1:1";

async function committed(p: Program): Promise<number> {
  const text = await (await fetch(`${p.adminUrl}/metrics`)).text();
  return Number(/^edge_proxy_cache_lists_committed (\d+)$/m.exec(text)?.[1] ?? 0);
}

/** A list as comparable text: resourceVersion and every item's name@resourceVersion. */
function listKey(body: { metadata?: unknown; items?: unknown[] }): string {
  const items = (body.items ?? []) as { metadata: { name: string; resourceVersion: string } }[];
  const rv = (body.metadata as { resourceVersion: string }).resourceVersion;
  return `${rv}|${items.map((i) => `${i.metadata.name}@${i.metadata.resourceVersion}`).sort()}`;
}

Deno.test("SIGTERM with open watches and a cache write in progress ends the watches cleanly, exits within 5 s and leaves a list that existed", async () => {
  const store = new SimStore();
  const blob = "z".repeat(2048);
  for (let i = 0; i < COUNT; i++) {
    store.create("configmaps", { ...makeConfigMap(i), data: { blob } });
  }
  const sim = await startSimApiserver({ store });
  const dir = await Deno.makeTempDir({ prefix: "edge-proxy-sigterm-" });
  const cache = `${dir}/cache.kv`;
  const procs: Program[] = [];
  try {
    for (const moment of ["after the list arrived", "in the middle of the list"] as const) {
      const p = await startProgram(sim.url, cache);
      procs.push(p);
      const old = await kubeJson(p.url, CMS);
      assertEquals(old.body.items?.length, COUNT);
      for (let i = 0; i < 100 && await committed(p) < 1; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assertEquals(
        await committed(p),
        1,
        `${moment}: the first list was not cached: ${
          p.log().split("\n").filter((l) => /Cache|cache/.test(l)).join("\n")
        }`,
      );

      const rv = (old.body.metadata as { resourceVersion: string }).resourceVersion;
      const watches = await Promise.all(
        [`${CMS}?watch=true&resourceVersion=${rv}`, "/api/v1/pods?watch=true", `${CMS}?watch=1`]
          .map((path) => kubeFetch(p.url, path)),
      );
      for (const w of watches) assertEquals(w.status, 200);
      const reads = watches.map((w) => readBody(w, 8000));

      // Every object changes, so the next list's cache write rewrites them all (and the open
      // watch on the same entry applies the changes one by one meanwhile).
      const changes = new Map<string, string>();
      for (const cm of store.list("configmaps").items) {
        const next = { ...cm, data: { blob: `${moment}${cm.metadata.name}` } };
        changes.set(
          cm.metadata.name!,
          String(store.update("configmaps", next).metadata.resourceVersion),
        );
      }
      const fresh = store.list("configmaps");
      const res = await kubeFetch(p.url, CMS);
      assertEquals(res.status, 200);
      let list: Awaited<ReturnType<typeof readBody>> | undefined;
      if (moment === "after the list arrived") list = await readBody(res, 5000);
      else {
        // A first chunk, so the cache writer has begun, then the signal.
        const reader = res.body!.getReader();
        await reader.read();
        reader.releaseLock();
      }
      const t0 = performance.now();
      p.child.kill("SIGTERM");
      list ??= await readBody(res, 5000);
      const status = await p.child.status;
      const ms = performance.now() - t0;
      const log = await p.drained;
      assertEquals(status.code, 0, log.slice(-2000));
      assert(ms < 5000, `exit took ${Math.round(ms)} ms`);
      assert(log.includes("Received SIGTERM"), log.slice(-2000));
      assert(!log.includes("Shutdown took over 5 s"), log.slice(-2000));
      assert(list.end !== "hang", "the list in progress hung");

      for (const [i, read] of reads.entries()) {
        const body = await read;
        assertEquals(
          body.end,
          "done",
          `watch ${i} did not end cleanly: ${body.text.slice(0, 300)}`,
        );
        for (const line of body.text.split("\n").filter((l) => l !== "")) JSON.parse(line);
      }

      const off = await startProgram(REFUSED, cache);
      procs.push(off);
      const got = await kubeJson(off.url, CMS);
      assertEquals(got.status, 200, JSON.stringify(got.body).slice(0, 300));
      // The old list, the new one, or one the watch brought the entry to on the way: each a
      // state the apiserver really had at the list's resourceVersion, never a mix.
      const key = listKey(got.body);
      const at = Number((got.body.metadata as { resourceVersion: string }).resourceVersion);
      const then = {
        metadata: { resourceVersion: String(at) },
        items: (old.body.items ?? []).map((i) => {
          const m = i.metadata as { name: string; resourceVersion: string };
          const rv = changes.get(m.name)!;
          return {
            metadata: { name: m.name, resourceVersion: Number(rv) <= at ? rv : m.resourceVersion },
          };
        }),
      };
      assert(
        key === listKey(old.body) || key === listKey(fresh) || key === listKey(then),
        `${moment}: the cached list (rv ${at}, ${got.body.items?.length} items) never existed`,
      );
      off.child.kill("SIGTERM");
      await off.child.status;
      await off.drained;
    }
  } finally {
    for (const p of procs) {
      try {
        p.child.kill("SIGKILL");
      } catch {
        // Exited already.
      }
      await p.child.status;
      await p.drained;
    }
    await sim.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
