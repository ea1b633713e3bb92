/**
 * @module The cache's storage limits and failures, end to end: objects larger than a KV value
 * (64 KiB) and than a KV commit (800 KiB) round-trip byte for byte, and a corrupt KV file is
 * moved aside while the proxy starts and serves.
 */
import { reset } from "@logtape/logtape";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { makeConfigMap } from "../../src/sim/fixtures.ts";
import { setupLogging } from "../../src/log.ts";
import { startStack } from "./harness.ts";
import { kubeFetch, kubeJson, names } from "./kube_client.ts";
import { assertFromCache, waitCommitted } from "./offline_helpers.ts";

const CMS = "/api/v1/namespaces/default/configmaps";

/** About `n` bytes of UTF-8 text mixing 1- to 4-byte characters, so chunk cuts split them. */
function bigText(n: number, seed: number): string {
  const unit = `a\u00e9\u20ac\u{1F600}\n"\\${seed}-`; // 1+2+3+4+1+1+1 bytes and the seed
  return unit.repeat(Math.ceil(n / (13 + String(seed).length)));
}

Deno.test("objects over 64 KiB and over 1 MB round-trip through the cache byte for byte", async () => {
  const s = await startStack();
  try {
    const sizes = { "big-70k": 70 * 1024, "big-1500k": 1500 * 1024, "small": 10 };
    for (const [name, size] of Object.entries(sizes)) {
      const cm = makeConfigMap(0, { name });
      s.sim.store.create("configmaps", { ...cm, data: { blob: bigText(size, size) } });
    }
    const list = await kubeFetch(s.proxy.url, CMS);
    const listBody = JSON.parse(await list.text());
    assertEquals(listBody.items.length, 3);
    const gets: Record<string, Uint8Array> = {};
    for (const name of Object.keys(sizes)) {
      const r = await kubeFetch(s.proxy.url, `${CMS}/${name}`);
      assertEquals(r.status, 200);
      gets[name] = await r.bytes();
    }
    assert(gets["big-1500k"].length > 1_500_000);
    await waitCommitted(s.proxy, 4, 10_000);

    s.link.setMode("refuse");
    const off = await kubeFetch(s.proxy.url, CMS);
    assertEquals(off.status, 200);
    assertFromCache(off.headers);
    const offBody = JSON.parse(await off.text());
    assertEquals(offBody.items, listBody.items);
    for (const name of Object.keys(sizes)) {
      const r = await kubeFetch(s.proxy.url, `${CMS}/${name}`);
      assertEquals(r.status, 200, name);
      assertFromCache(r.headers);
      assertEquals(await r.bytes(), gets[name], name);
    }
    // Byte for byte inside the list too: each cached item is the get's exact bytes.
    const text = JSON.stringify(offBody.items.map((i: { data: unknown }) => i.data));
    for (const name of Object.keys(sizes)) {
      const blob = JSON.stringify(JSON.parse(new TextDecoder().decode(gets[name])).data);
      assert(text.includes(blob.slice(1, -1)), `${name} data differs in the list`);
    }
  } finally {
    await s.close();
  }
});

Deno.test("a big object changed through an online watch is cached whole", async () => {
  const s = await startStack();
  try {
    const cm = makeConfigMap(0, { name: "big" });
    s.sim.store.create("configmaps", { ...cm, data: { blob: bigText(900 * 1024, 1) } });
    const list = await kubeJson(s.proxy.url, CMS);
    const rv = (list.body.metadata as { resourceVersion: string }).resourceVersion;
    await waitCommitted(s.proxy, 1);
    const watch = await kubeFetch(s.proxy.url, `${CMS}?watch=true&resourceVersion=${rv}`);
    const reader = watch.body!.getReader();
    const cur = s.sim.store.get("configmaps", "default", "big");
    s.sim.store.update("configmaps", { ...cur, data: { blob: bigText(1200 * 1024, 2) } });
    const truth = JSON.stringify(s.sim.store.get("configmaps", "default", "big"));
    // Read the whole event (it arrives in many chunks).
    let got = 0;
    while (got < 1200 * 1024) {
      const { value, done } = await reader.read();
      if (done) break;
      got += value.length;
    }
    const applied = () => kubeJson(s.proxy.url, `${CMS}/big`);
    s.link.setMode("refuse");
    await reader.cancel();
    let off = await applied();
    for (let i = 0; i < 50 && JSON.stringify(off.body) !== truth; i++) {
      await new Promise((r) => setTimeout(r, 50));
      off = await applied();
    }
    assertEquals(off.status, 200);
    assertEquals(JSON.stringify(off.body), truth);
  } finally {
    await s.close();
  }
});

Deno.test("a corrupt cache file is moved aside, logged, and the proxy starts and serves from a private new one", async () => {
  const lines: string[] = [];
  await setupLogging({ level: "info", write: (l) => lines.push(l) });
  const s = await startStack();
  try {
    s.sim.store.create("configmaps", makeConfigMap(1));
    await s.proxy.close();
    for (const suffix of ["-wal", "-shm"]) await Deno.remove(s.cachePath + suffix).catch(() => {});
    const garbage = new Uint8Array(64 * 1024);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919) & 255;
    garbage.set(new TextEncoder().encode("SQLite format 3\0"), 0); // a header, then nonsense
    await Deno.writeFile(s.cachePath, garbage);

    const proxy = await s.restart();
    const r = await kubeJson(proxy.url, CMS);
    assertEquals(r.status, 200);
    assertEquals(names(r.body), ["cm-1"]);
    await waitCommitted(proxy, 1);
    const dir = s.cachePath.slice(0, s.cachePath.lastIndexOf("/"));
    const files = [];
    for await (const e of Deno.readDir(dir)) files.push(e.name);
    assert(files.some((f) => /^cache\.kv\.corrupt-\d+T\d+Z$/.test(f)), `files: ${files}`);
    // The fresh cache is private to the service user, as the first one was.
    assertEquals((await Deno.stat(dir)).mode! & 0o777, 0o700);
    for (const f of files.filter((f) => /^cache\.kv(-wal|-shm)?$/.test(f))) {
      assertEquals((await Deno.stat(`${dir}/${f}`)).mode! & 0o777, 0o600, f);
    }
    const moved = lines.find((l) => l.includes("unreadable") && l.includes("corrupt-"));
    assert(moved, `no log line about the corrupt file in:\n${lines.join("")}`);
    assertMatch(JSON.parse(moved).level, /error/);
    // The fresh cache works: offline, the list just made is served.
    s.link.setMode("refuse");
    const off = await kubeJson(proxy.url, CMS);
    assertEquals(off.status, 200);
    assertEquals(names(off.body), ["cm-1"]);
  } finally {
    await s.close();
    await reset();
  }
});
