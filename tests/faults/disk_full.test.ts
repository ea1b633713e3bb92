/**
 * @module The disk fills up while caching (a 2 MB tmpfs as the cache directory): the proxy keeps
 * forwarding, reports the failed write in its log and `/metrics`, keeps the previous complete
 * entry, and caches again once space returns. Needs root for `mount`; skips with a reason
 * where that fails.
 */
import { assert, assertEquals } from "../assert.ts";
import { makeConfigMap } from "../../src/sim/fixtures.ts";
import { FaultyLink } from "../../src/sim/faulty_link.ts";
import { startSimApiserver } from "../../src/sim/sim_apiserver.ts";
import { SimStore } from "../../src/sim/sim_store.ts";
import { waitFor } from "../e2e/harness.ts";
import { kubeJson, names } from "../e2e/kube_client.ts";
import { assertFromCache, scrape, waitCommitted } from "../e2e/offline_helpers.ts";
import { captureLogs, startFaultProxy } from "./fault_upstream.ts";

const CMS = "/api/v1/namespaces/default/configmaps";

async function run(cmd: string, ...args: string[]): Promise<{ ok: boolean; err: string }> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
    return { ok: out.success, err: new TextDecoder().decode(out.stderr).trim() };
  } catch (e) {
    return { ok: false, err: (e as Error).message };
  }
}

/** Writes a filler file until the filesystem is full (at most 8 MB); returns its path. */
async function fill(dir: string): Promise<string> {
  const path = `${dir}/filler`;
  const f = await Deno.open(path, { create: true, write: true });
  const block = new Uint8Array(16 * 1024).fill(120);
  try {
    for (let i = 0; i < 512; i++) await f.write(block);
    throw new Error("The tmpfs never filled up");
  } catch (e) {
    if (!(e instanceof Error) || !/space/i.test(e.message)) throw e;
  } finally {
    f.close();
  }
  return path;
}

function writeFailures(text: string): number {
  return Number(/^edge_proxy_cache_write_failures (\d+)$/m.exec(text)?.[1] ?? 0);
}

Deno.test("with the cache's disk full the proxy forwards, reports the failure, keeps the old entry and resumes when space returns", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edge-proxy-diskfull-" });
  const mnt = `${dir}/mnt`;
  await Deno.mkdir(mnt);
  const mounted = await run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt);
  if (!mounted.ok) {
    console.log(`Skipped: cannot mount a tmpfs (needs root): ${mounted.err}`);
    await Deno.remove(dir, { recursive: true });
    return;
  }
  const store = new SimStore();
  for (let i = 0; i < 5; i++) store.create("configmaps", makeConfigMap(i));
  const sim = await startSimApiserver({ store });
  const link = await FaultyLink.start({ hostname: "127.0.0.1", port: sim.port });
  let p: Awaited<ReturnType<typeof startFaultProxy>> | undefined;
  try {
    await captureLogs(async (logs) => {
      p = await startFaultProxy([link.url], { cachePath: `${mnt}/cache.kv` });
      const url = p.proxy.url;
      const small = await kubeJson(url, CMS);
      assertEquals(names(small.body).length, 5);
      await waitCommitted(p.proxy, 1);

      const filler = await fill(mnt);
      const blob = "y".repeat(20 * 1024);
      for (let i = 5; i < 45; i++) {
        store.create("configmaps", { ...makeConfigMap(i), data: { blob } });
      }
      // Forwarding is untouched by the failing cache write.
      const big = await kubeJson(url, CMS);
      assertEquals([big.status, names(big.body).length], [200, 45]);
      await waitFor(
        async () => writeFailures(await scrape(p!.proxy)) >= 1,
        5000,
        "a write failure",
      );
      const line = logs.find((l) => l.includes("Cache write abandoned"));
      assert(line, "the failed cache write was not logged");
      assert(/"level":"warning"/.test(line) && /full/i.test(line), line);

      // The previous complete entry is what an offline client gets.
      link.setMode("refuse");
      const off = await kubeJson(url, CMS);
      assertEquals(off.status, 200, JSON.stringify(off.body));
      assertFromCache(off.headers);
      assertEquals(off.body.items, small.body.items);

      // Space returns: the next list is cached whole.
      await Deno.remove(filler);
      link.setMode("pass");
      await waitFor(() => p!.proxy.pool.online(), 3000, "the upstream back up");
      const again = await kubeJson(url, CMS);
      assertEquals([again.status, names(again.body).length], [200, 45]);
      await waitCommitted(p.proxy, 2);
      link.setMode("refuse");
      const off2 = await kubeJson(url, CMS);
      assertEquals(off2.status, 200);
      assertFromCache(off2.headers);
      assertEquals(off2.body.items, again.body.items);
    });
  } finally {
    await p?.close();
    await link.close();
    await sim.close();
    const un = await run("umount", mnt);
    if (!un.ok) await run("umount", "-l", mnt);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
