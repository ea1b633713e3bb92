/**
 * @module How online lists become cache entries: paginated lists are stitched and commit only
 * with their last page, and a repeated unchanged list writes next to nothing.
 */
import { assert, assertEquals } from "../assert.ts";
import { makeConfigMap, makePod } from "../../src/sim/fixtures.ts";
import { metric, type Stack, startStack, waitFor } from "./harness.ts";
import { kubeJson, names } from "./kube_client.ts";
import { assertFromCache, waitCommitted } from "./offline_helpers.ts";

const CMS = "/api/v1/namespaces/default/configmaps";

type ListBody = Awaited<ReturnType<typeof kubeJson>>["body"];

/** Lists in pages of `limit` as client-go does; stops after `maxPages` pages. */
async function pagedList(base: string, path: string, limit: number, maxPages = 100) {
  const pages: ListBody[] = [];
  let cont = "";
  for (let i = 0; i < maxPages; i++) {
    const q = `?limit=${limit}${cont ? `&continue=${encodeURIComponent(cont)}` : ""}`;
    const r = await kubeJson(base, path + q);
    assertEquals(r.status, 200, JSON.stringify(r.body));
    pages.push(r.body);
    cont = (r.body.metadata as { continue?: string }).continue ?? "";
    if (!cont) break;
  }
  return pages;
}

async function offlineNames(s: Stack, path: string): Promise<string[]> {
  s.link.setMode("refuse");
  const r = await kubeJson(s.proxy.url, path);
  assertEquals(r.status, 200, JSON.stringify(r.body));
  assertFromCache(r.headers);
  s.link.setMode("pass");
  await waitFor(() => s.proxy.pool.servers.every((x) => x.state === "up"), 3000, "link back up");
  return names(r.body);
}

Deno.test("a paginated list is cached when its last page arrives, never from a single page", async () => {
  const s = await startStack();
  try {
    const store = s.sim.store;
    for (let i = 0; i < 5; i++) store.create("configmaps", makeConfigMap(i));
    const full = await kubeJson(s.proxy.url, CMS);
    assertEquals(full.body.items?.length, 5);
    await waitCommitted(s.proxy, 1);

    store.delete("configmaps", "default", "cm-0");
    for (let i = 5; i < 8; i++) store.create("configmaps", makeConfigMap(i));
    // Only the first page: the entry must stay the complete list of before.
    const first = await pagedList(s.proxy.url, CMS, 2, 1);
    assertEquals(first[0].items?.length, 2);
    assert((first[0].metadata as { continue?: string }).continue, "more pages expected");
    await new Promise((r) => setTimeout(r, 200));
    assertEquals(metric(s.proxy, "edge_proxy_cache_lists_committed"), 1);
    assertEquals(await offlineNames(s, CMS), ["cm-0", "cm-1", "cm-2", "cm-3", "cm-4"]);

    // All pages: stitched into one entry at the first page's resourceVersion.
    const pages = await pagedList(s.proxy.url, CMS, 2);
    assertEquals(pages.length, 4);
    const stitched = pages.flatMap((p) => p.items ?? []);
    await waitCommitted(s.proxy, 2);
    s.link.setMode("refuse");
    const off = await kubeJson(s.proxy.url, CMS);
    assertEquals(off.status, 200);
    assertEquals(off.body.items, stitched);
    assertEquals(
      (off.body.metadata as { resourceVersion: string }).resourceVersion,
      (pages[0].metadata as { resourceVersion: string }).resourceVersion,
    );
    assertEquals(names(off.body), ["cm-1", "cm-2", "cm-3", "cm-4", "cm-5", "cm-6", "cm-7"]);
  } finally {
    await s.close();
  }
});

Deno.test("a page chain that breaks off leaves the previous complete entry in place", async () => {
  const s = await startStack();
  try {
    const store = s.sim.store;
    for (let i = 0; i < 6; i++) store.create("configmaps", makeConfigMap(i));
    await kubeJson(s.proxy.url, CMS);
    await waitCommitted(s.proxy, 1);
    store.delete("configmaps", "default", "cm-5");
    // Two of three pages, then a new unpaginated list of another entry.
    await pagedList(s.proxy.url, CMS, 2, 2);
    await kubeJson(s.proxy.url, "/api/v1/namespaces/default/configmaps?labelSelector=app%3Dapp-1");
    await waitCommitted(s.proxy, 2);
    assertEquals(metric(s.proxy, "edge_proxy_cache_lists_committed"), 2);
    assertEquals(await offlineNames(s, CMS), ["cm-0", "cm-1", "cm-2", "cm-3", "cm-4", "cm-5"]);
  } finally {
    await s.close();
  }
});

Deno.test("a repeated unchanged list writes next to nothing to the cache", async () => {
  const s = await startStack();
  try {
    for (let i = 0; i < 300; i++) s.sim.store.create("pods", makePod(i));
    const stats = () => ({
      written: metric(s.proxy, "edge_proxy_cache_records_written"),
      unchanged: metric(s.proxy, "edge_proxy_cache_records_unchanged"),
      bytes: metric(s.proxy, "edge_proxy_cache_bytes_written"),
    });
    const first = await kubeJson(s.proxy.url, "/api/v1/pods");
    assertEquals(first.body.items?.length, 300);
    await waitCommitted(s.proxy, 1);
    const a = stats();
    assertEquals(a.written, 300);
    assert(a.bytes > 300 * 2000, `first list wrote only ${a.bytes} bytes`);

    const second = await kubeJson(s.proxy.url, "/api/v1/pods");
    assertEquals(second.body.items, first.body.items);
    await waitCommitted(s.proxy, 2);
    const b = stats();
    assertEquals(b.written - a.written, 0);
    assertEquals(b.unchanged - a.unchanged, 300);
    const extra = b.bytes - a.bytes;
    assert(extra < a.bytes / 100, `the unchanged list wrote ${extra} bytes (first: ${a.bytes})`);

    // One changed pod: one record, still a tiny fraction.
    const p = s.sim.store.get("pods", "default", "pod-7");
    s.sim.store.update("pods", { ...p, metadata: { ...p.metadata, labels: { x: "y" } } });
    await kubeJson(s.proxy.url, "/api/v1/pods");
    await waitCommitted(s.proxy, 3);
    const c = stats();
    assertEquals(c.written - b.written, 1);
    assert(c.bytes - b.bytes < a.bytes / 50, `one changed pod wrote ${c.bytes - b.bytes} bytes`);
  } finally {
    await s.close();
  }
});
