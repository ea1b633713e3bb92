import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { WatchReader } from "./_watch_reader.ts";
import { makeConfigMap } from "../../src/sim/fixtures.ts";
import { FaultyLink } from "../../src/sim/faulty_link.ts";
import { type SimApiserver, startSimApiserver } from "../../src/sim/sim_apiserver.ts";

async function withLink(
  fn: (link: FaultyLink, sim: SimApiserver, client: Deno.HttpClient) => Promise<void>,
) {
  const sim = await startSimApiserver();
  const link = await FaultyLink.start({ hostname: "127.0.0.1", port: sim.port });
  // A client per test, so no pooled connection leaks from one test's link into another.
  const client = Deno.createHttpClient({});
  try {
    await fn(link, sim, client);
  } finally {
    await link.close();
    client.close();
    await sim.close();
  }
}

async function list(link: FaultyLink, client: Deno.HttpClient, ms = 2000): Promise<number> {
  const res = await fetch(`${link.url}/api/v1/namespaces`, {
    client,
    signal: AbortSignal.timeout(ms),
  });
  return (await res.json()).items.length;
}

Deno.test("FaultyLink in pass mode relays requests to the target", async () => {
  await withLink(async (link, sim, client) => {
    assertEquals(link.mode, "pass");
    assertEquals(link.url, `http://127.0.0.1:${link.port}`);
    assertEquals(await list(link, client), 4);
    assertEquals(sim.requests, 1);
  });
});

Deno.test("FaultyLink refuse makes fetch reject fast, and pass listens again on the same port", async () => {
  await withLink(async (link, _sim, client) => {
    assertEquals(await list(link, client), 4);
    link.setMode("refuse");
    const started = Date.now();
    await assertRejects(() => list(link, client, 5000));
    assert(Date.now() - started < 1000, `refusal took ${Date.now() - started} ms`);
    link.mode = "pass";
    assertEquals(await list(link, client), 4);
  });
});

Deno.test("FaultyLink blackhole makes fetch hang until its AbortSignal timeout", async () => {
  await withLink(async (link, _sim, client) => {
    link.setMode("blackhole");
    const started = Date.now();
    const err = await assertRejects(() => list(link, client, 300));
    assertEquals((err as DOMException).name, "TimeoutError");
    assert(Date.now() - started >= 250, "fetch failed before the timeout: not a blackhole");
    link.setMode("pass");
    assertEquals(await list(link, client), 4);
  });
});

Deno.test("FaultyLink blackhole silently stops forwarding on open connections", async () => {
  await withLink(async (link, sim, client) => {
    const res = await fetch(
      `${link.url}/api/v1/configmaps?watch=true&resourceVersion=${sim.store.resourceVersion}`,
      {
        client,
      },
    );
    const w = new WatchReader(res.body!);
    sim.store.create("configmaps", makeConfigMap(1));
    assertEquals((await w.next())?.type, "ADDED");
    link.setMode("blackhole");
    sim.store.create("configmaps", makeConfigMap(2));
    await assertRejects(() => w.next(300));
    await w.cancel();
  });
});

Deno.test("FaultyLink reset breaks open bodies and closes new connections", async () => {
  await withLink(async (link, sim, client) => {
    const res = await fetch(
      `${link.url}/api/v1/configmaps?watch=true&resourceVersion=${sim.store.resourceVersion}`,
      {
        client,
      },
    );
    const w = new WatchReader(res.body!);
    link.setMode("reset");
    await assertRejects(() => w.next(2000));
    await w.cancel();
    await assertRejects(() => list(link, client, 2000));
    link.setMode("pass");
    assertEquals(await list(link, client), 4);
  });
});

Deno.test("FaultyLink resetAll drops open connections but keeps relaying new ones", async () => {
  await withLink(async (link, sim, client) => {
    const res = await fetch(
      `${link.url}/api/v1/configmaps?watch=true&resourceVersion=${sim.store.resourceVersion}`,
      {
        client,
      },
    );
    const w = new WatchReader(res.body!);
    link.resetAll();
    await assertRejects(() => w.next(2000));
    await w.cancel();
    assertEquals(link.mode, "pass");
    assertEquals(await list(link, client), 4);
  });
});
