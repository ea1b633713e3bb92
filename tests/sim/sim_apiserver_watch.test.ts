import { assert, assertEquals } from "./_assert.ts";
import { WatchReader } from "./_watch_reader.ts";
import { makeConfigMap } from "../../src/sim/fixtures.ts";
import { type SimApiserver, startSimApiserver } from "../../src/sim/sim_apiserver.ts";
import { SimStore } from "../../src/sim/sim_store.ts";

async function withSim(
  fn: (sim: SimApiserver) => Promise<void>,
  opts: { bookmarkIntervalMs?: number } = {},
) {
  const sim = await startSimApiserver({ store: new SimStore({ namespaces: [] }), ...opts });
  try {
    await fn(sim);
  } finally {
    await sim.close();
  }
}

async function watch(url: string, signal?: AbortSignal): Promise<WatchReader> {
  const res = await fetch(url, { signal });
  assertEquals(res.status, 200);
  return new WatchReader(res.body!);
}

function summary(
  events: { type: string; object: { metadata: { name?: string; resourceVersion: string } } }[],
) {
  return events.map((e) =>
    `${e.type} ${e.object.metadata.name ?? ""}@${e.object.metadata.resourceVersion}`
  );
}

/** Polls `cond` every 10 ms for up to `ms`; the bound keeps a broken test from hanging. */
async function eventually(cond: () => boolean, ms = 2000): Promise<void> {
  for (let i = 0; i < ms / 10; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("Condition not met in time");
}

Deno.test("sim watch from a resourceVersion sends later events in order, one per line", async () => {
  await withSim(async (sim) => {
    const s = sim.store;
    s.create("configmaps", makeConfigMap(1));
    const from = s.resourceVersion;
    s.create("configmaps", makeConfigMap(2));
    const w = await watch(
      `${sim.url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${from}&timeoutSeconds=5`,
    );
    s.patch("configmaps", "default", "cm-1", "application/merge-patch+json", { data: { x: "1" } });
    s.delete("configmaps", "default", "cm-2");
    s.create("configmaps", makeConfigMap(3, { namespace: "elsewhere" }));
    assertEquals(summary(await w.take(3)), ["ADDED cm-2@2", "MODIFIED cm-1@3", "DELETED cm-2@4"]);
    await w.cancel();
  });
});

Deno.test("sim watch without a resourceVersion starts with synthetic ADDED events (legacy /watch path too)", async () => {
  await withSim(async (sim) => {
    sim.store.create("configmaps", makeConfigMap(2));
    sim.store.create("configmaps", makeConfigMap(1));
    for (
      const path of [
        "/api/v1/configmaps?watch=1",
        "/api/v1/watch/namespaces/default/configmaps?resourceVersion=0",
      ]
    ) {
      const w = await watch(`${sim.url}${path}`);
      assertEquals(summary(await w.take(2)), ["ADDED cm-1@2", "ADDED cm-2@1"]);
      sim.store.create("configmaps", makeConfigMap(0, { name: `zz-${sim.store.resourceVersion}` }));
      assertEquals((await w.next())?.type, "ADDED");
      await w.cancel();
    }
  });
});

Deno.test("sim watch turns selector transitions into ADDED and DELETED", async () => {
  await withSim(async (sim) => {
    const s = sim.store;
    s.create("configmaps", makeConfigMap(1, { labels: { tier: "a" } }));
    const w = await watch(
      `${sim.url}/api/v1/configmaps?watch=true&resourceVersion=${s.resourceVersion}&labelSelector=tier%3Da`,
    );
    const patch = (tier: string | null) =>
      s.patch("configmaps", "default", "cm-1", "application/merge-patch+json", {
        metadata: { labels: { tier } },
      });
    patch("b"); // stops matching
    patch("c"); // still not matching: nothing
    patch("a"); // matches again
    s.patch("configmaps", "default", "cm-1", "application/merge-patch+json", { data: { k: "v" } });
    const events = await w.take(3);
    assertEquals(summary(events), ["DELETED cm-1@2", "ADDED cm-1@4", "MODIFIED cm-1@5"]);
    // Like the apiserver's cacher: the DELETED object is the last matching state at the new version.
    assertEquals(events[0].object.metadata.labels, { app: "app-1", tier: "a" });
    await w.cancel();
  });
});

Deno.test("sim watch from a compacted resourceVersion gets a single 410 ERROR event then ends", async () => {
  await withSim(async (sim) => {
    sim.store.create("configmaps", makeConfigMap(1));
    sim.store.create("configmaps", makeConfigMap(2));
    sim.store.compact();
    const w = await watch(`${sim.url}/api/v1/configmaps?watch=true&resourceVersion=1`);
    const e = await w.next();
    assertEquals(e?.type, "ERROR");
    assertEquals([e?.object.kind, e?.object.code, e?.object.reason], ["Status", 410, "Expired"]);
    assertEquals(await w.next(), null);
  });
});

Deno.test("sim watch sends BOOKMARK events when allowed", async () => {
  await withSim(async (sim) => {
    sim.store.create("configmaps", makeConfigMap(1));
    const rv = sim.store.resourceVersion;
    const w = await watch(
      `${sim.url}/api/v1/configmaps?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true`,
    );
    const e = await w.next();
    assertEquals(e, {
      type: "BOOKMARK",
      object: { kind: "ConfigMap", apiVersion: "v1", metadata: { resourceVersion: String(rv) } },
    });
    await w.cancel();
  }, { bookmarkIntervalMs: 50 });
});

Deno.test("sim watch ends at timeoutSeconds", async () => {
  await withSim(async (sim) => {
    const started = Date.now();
    const w = await watch(
      `${sim.url}/api/v1/configmaps?watch=true&resourceVersion=0&timeoutSeconds=1`,
    );
    assertEquals(await w.next(3000), null);
    const took = Date.now() - started;
    assert(took >= 900 && took < 2500, `took ${took} ms`);
    await eventually(() => sim.store.watcherCount === 0);
  });
});

Deno.test("sim watch releases its store watcher when the client disconnects", async () => {
  await withSim(async (sim) => {
    const ac = new AbortController();
    const w = await watch(`${sim.url}/api/v1/configmaps?watch=true`, ac.signal);
    await eventually(() => sim.store.watcherCount === 1);
    ac.abort();
    await w.cancel();
    await eventually(() => sim.store.watcherCount === 0);
  });
});

Deno.test("sim close ends open watches", async () => {
  const sim = await startSimApiserver();
  const w = await watch(
    `${sim.url}/api/v1/configmaps?watch=true&resourceVersion=${sim.store.resourceVersion}`,
  );
  await sim.close();
  assertEquals(await w.next(), null);
  assertEquals(sim.store.watcherCount, 0);
});

Deno.test("sim watch in Table form sends one-row Tables, column definitions first only", async () => {
  await withSim(async (sim) => {
    sim.store.create("configmaps", makeConfigMap(1));
    sim.store.create("configmaps", makeConfigMap(2));
    const res = await fetch(`${sim.url}/api/v1/configmaps?watch=true`, {
      headers: { accept: "application/json;as=Table;v=v1;g=meta.k8s.io" },
    });
    const w = new WatchReader(res.body!);
    const [a, b] = await w.take(2);
    assertEquals([a.object.kind, a.object.rows.length, a.object.rows[0].cells[0]], [
      "Table",
      1,
      "cm-1",
    ]);
    assert(a.object.columnDefinitions.length > 0);
    assertEquals(b.object.columnDefinitions, []);
    await w.cancel();
  });
});
