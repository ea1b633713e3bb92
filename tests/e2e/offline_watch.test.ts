/**
 * @module Watches and writes around an outage: an online watch keeps the cached list current,
 * an offline watch is held open (with bookmarks) until its timeout or the link's return, and
 * an offline write is refused, never faked.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { makeConfigMap } from "../../src/sim/fixtures.ts";
import { metric, startStack, waitFor } from "./harness.ts";
import { kubeFetch, kubeJson, names } from "./kube_client.ts";
import { assertFromCache, waitCommitted } from "./offline_helpers.ts";

const CMS = "/api/v1/namespaces/default/configmaps";

type WatchEvent = {
  type: string;
  object: { kind?: string; metadata: { name?: string; resourceVersion: string } };
};

/** Reads watch events line by line; `next()` resolves null when the stream ends. */
function watchReader(res: Response) {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  return {
    async next(): Promise<WatchEvent | null> {
      for (;;) {
        const nl = buf.indexOf("\n");
        if (nl >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim()) return JSON.parse(line);
          continue;
        }
        const { value, done } = await reader.read();
        if (done) return null;
        buf += value;
      }
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}

/** Resolves "timeout" when `p` has not settled within `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    p,
    new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), ms)),
  ]).finally(() => clearTimeout(timer));
}

Deno.test("an online watch from the list's resourceVersion keeps the cached list current", async () => {
  const s = await startStack();
  const store = s.sim.store;
  let w: ReturnType<typeof watchReader> | undefined;
  try {
    for (let i = 0; i < 4; i++) store.create("configmaps", makeConfigMap(i));
    const list = await kubeJson(s.proxy.url, CMS);
    const rv = (list.body.metadata as { resourceVersion: string }).resourceVersion;
    await waitCommitted(s.proxy, 1);
    const res = await kubeFetch(
      s.proxy.url,
      `${CMS}?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true`,
    );
    assertEquals(res.status, 200);
    w = watchReader(res);

    store.create("configmaps", makeConfigMap(10));
    const cm1 = store.get("configmaps", "default", "cm-1");
    store.update("configmaps", { ...cm1, data: { changed: "yes" } });
    store.delete("configmaps", "default", "cm-2");
    const types: string[] = [];
    while (types.length < 3) {
      const ev = await w.next();
      assert(ev, "watch ended early");
      if (ev.type !== "BOOKMARK") types.push(`${ev.type} ${ev.object.metadata.name}`);
    }
    assertEquals(types, ["ADDED cm-10", "MODIFIED cm-1", "DELETED cm-2"]);
    await waitFor(
      () => metric(s.proxy, "edge_proxy_cache_watch_events_applied") >= 3,
      3000,
      "watch events applied",
    );

    s.link.setMode("refuse");
    // The proxy ends a watch over a dead link cleanly, so the client re-watches.
    assertEquals(await within(w.next(), 3000), null);
    const off = await kubeJson(s.proxy.url, CMS);
    assertEquals(off.status, 200);
    assertFromCache(off.headers);
    assertEquals(names(off.body), ["cm-0", "cm-1", "cm-10", "cm-3"]);
    const truth = store.list("configmaps", { namespace: "default" });
    assertEquals(off.body.items, truth.items as unknown);
    const offRv = Number((off.body.metadata as { resourceVersion: string }).resourceVersion);
    assert(offRv >= store.resourceVersion, `offline rv ${offRv} < ${store.resourceVersion}`);
  } finally {
    await w?.cancel();
    await s.close();
  }
});

Deno.test("an offline watch stays open, sends a bookmark at the entry's resourceVersion and ends at timeoutSeconds", async () => {
  const s = await startStack();
  try {
    for (let i = 0; i < 3; i++) s.sim.store.create("configmaps", makeConfigMap(i));
    const list = await kubeJson(s.proxy.url, CMS);
    const rv = (list.body.metadata as { resourceVersion: string }).resourceVersion;
    await waitCommitted(s.proxy, 1);
    s.link.setMode("refuse");

    const t0 = Date.now();
    const res = await kubeFetch(
      s.proxy.url,
      `${CMS}?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true&timeoutSeconds=1`,
    );
    assertEquals(res.status, 200);
    assertFromCache(res.headers);
    const w = watchReader(res);
    const ev = await w.next();
    assertEquals(ev, {
      type: "BOOKMARK",
      object: { kind: "ConfigMap", apiVersion: "v1", metadata: { resourceVersion: rv } },
    } as unknown as WatchEvent);
    assertEquals(await within(w.next(), 3000), null);
    const ms = Date.now() - t0;
    assert(ms >= 900 && ms < 2500, `watch ended after ${ms} ms, not at timeoutSeconds=1`);

    // Without bookmarks: nothing at all, and still open half a second later.
    const quiet = await kubeFetch(s.proxy.url, `${CMS}?watch=true&resourceVersion=${rv}`);
    assertEquals(quiet.status, 200);
    const q = watchReader(quiet);
    const next = q.next();
    assertEquals(await within(next, 500), "timeout");
    await q.cancel();
  } finally {
    await s.close();
  }
});

Deno.test("an offline watch ends within 2 s of the link coming back, so the client re-watches", async () => {
  const s = await startStack();
  try {
    s.sim.store.create("configmaps", makeConfigMap(1));
    const list = await kubeJson(s.proxy.url, CMS);
    const rv = (list.body.metadata as { resourceVersion: string }).resourceVersion;
    await waitCommitted(s.proxy, 1);
    s.link.setMode("refuse");
    const res = await kubeFetch(s.proxy.url, `${CMS}?watch=true&resourceVersion=${rv}`);
    assertEquals(res.status, 200);
    assertFromCache(res.headers);
    const w = watchReader(res);
    const next = w.next();
    assertEquals(await within(next, 400), "timeout");
    const back = Date.now();
    s.link.setMode("pass");
    assertEquals(await within(next, 4000), null);
    const ms = Date.now() - back;
    assert(ms < 2000, `offline watch ended ${ms} ms after the link came back`);
    // The re-watch goes to the apiserver and sees what happens there.
    const again = await kubeFetch(s.proxy.url, `${CMS}?watch=true&resourceVersion=${rv}`);
    assertEquals(again.status, 200);
    assertEquals(again.headers.get("warning"), null);
    const w2 = watchReader(again);
    s.sim.store.create("configmaps", makeConfigMap(2));
    const ev = await w2.next();
    assertEquals(`${ev?.type} ${ev?.object.metadata.name}`, "ADDED cm-2");
    await w2.cancel();
  } finally {
    await s.close();
  }
});

Deno.test("offline writes are refused with a 503 Status, never a fake success", async () => {
  const s = await startStack();
  try {
    s.sim.store.create("configmaps", makeConfigMap(1));
    await kubeJson(s.proxy.url, CMS);
    await waitCommitted(s.proxy, 1);
    const rvBefore = s.sim.store.resourceVersion;
    for (const mode of ["refuse", "blackhole"] as const) {
      s.link.setMode(mode);
      const writes: [string, string, unknown][] = [
        ["POST", CMS, makeConfigMap(9)],
        ["PUT", `${CMS}/cm-1`, makeConfigMap(1)],
        ["PATCH", `${CMS}/cm-1`, { data: { a: "b" } }],
        ["DELETE", `${CMS}/cm-1`, undefined],
        ["POST", "/api/v1/namespaces/default/pods/pod-1/eviction", { kind: "Eviction" }],
      ];
      for (const [method, path, body] of writes) {
        const r = await kubeJson(s.proxy.url, path, { method, body });
        assertEquals(r.status, 503, `${mode} ${method} ${path}`);
        assertEquals(r.body.kind, "Status");
        assertEquals(r.body.reason, "ServiceUnavailable");
        assertMatch(String(r.body.message), /unreachable/);
      }
      s.link.setMode("pass");
      await waitFor(() => s.proxy.pool.servers.every((x) => x.state === "up"), 3000, "link up");
    }
    assertEquals(s.sim.store.resourceVersion, rvBefore);
    const cm = await kubeJson(s.proxy.url, `${CMS}/cm-1`);
    assertEquals(cm.body.data, makeConfigMap(1).data);
  } finally {
    await s.close();
  }
});

Deno.test("an offline watch from a resourceVersion is held open even with no entry; one from 0 is a 503", async () => {
  const s = await startStack();
  try {
    s.sim.store.create("configmaps", makeConfigMap(1));
    const list = await kubeJson(s.proxy.url, CMS);
    const rv = (list.body.metadata as { resourceVersion: string }).resourceVersion;
    s.link.setMode("refuse");
    // client-node lists as "kubernetes-client-javascript" and watches as "undici": the watch's
    // partition has no entry, yet it must not fail (its informer would stop for good).
    const undici = { userAgent: "undici", token: "informer-token" };
    const res = await kubeFetch(
      s.proxy.url,
      `${CMS}?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true&timeoutSeconds=1`,
      undici,
    );
    assertEquals(res.status, 200);
    const w = watchReader(res);
    // Nothing to bookmark without an entry: silence, then the end at timeoutSeconds.
    assertEquals(await within(w.next(), 3000), null);
    // A watch from "0" or "" starts with every current object as ADDED: an empty stream held
    // open would say there are none, so it is a 503, with or without an entry.
    for (const from of ["0", ""]) {
      for (const who of [undici, {}]) {
        const r = await kubeJson(s.proxy.url, `${CMS}?watch=true&resourceVersion=${from}`, who);
        assertEquals(r.status, 503, `resourceVersion=${from} ${JSON.stringify(who)}`);
        assertEquals(r.body.kind, "Status");
      }
    }
  } finally {
    await s.close();
  }
});
