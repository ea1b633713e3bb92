/**
 * @module The upstream drops the connection in the middle of a list, of a get, of a watch, or
 * between the headers and the body: the client's response ends at once (never hangs, never a
 * made-up ending), the cache keeps its previous complete entry, and other clients are served.
 */
import { assert, assertEquals } from "../assert.ts";
import { metric, waitFor } from "../e2e/harness.ts";
import { kubeFetch, kubeJson, names } from "../e2e/kube_client.ts";
import { assertFromCache, waitCommitted } from "../e2e/offline_helpers.ts";
import {
  configMap,
  configMapList,
  type RawOut,
  readBody,
  startFaultProxy,
  startFaultUpstream,
} from "./fault_upstream.ts";

const LIST = "/api/v1/namespaces/default/configmaps";
const OTHER = "/api/v1/namespaces/other/configmaps";
const GOOD = [configMap("a", 10), configMap("b", 10), configMap("skip-x", 10)];
const GOOD_LIST = configMapList(GOOD, 10);

/** How the next answer for the `default` namespace breaks. */
type Cut = "none" | "after-headers" | "mid-list" | "mid-item";

async function answerList(out: RawOut, cut: Cut): Promise<void> {
  await out.head(200, "application/json");
  if (cut === "after-headers") return await out.sleep(50);
  if (cut === "none") {
    await out.chunk(GOOD_LIST);
    return await out.end();
  }
  const at = cut === "mid-list"
    ? GOOD_LIST.indexOf(GOOD[1]) // after a whole item and its comma
    : GOOD_LIST.indexOf(GOOD[1]) + 20; // inside an item
  await out.chunk(GOOD_LIST.slice(0, at));
  // Long enough for another client's request to be served in the middle of this one.
  await out.sleep(300);
}

/** A stand-in whose `default` namespace breaks as `state.cut` says; `other` always works. */
async function start() {
  const state = { cut: "none" as Cut };
  const up = await startFaultUpstream(async (req, out) => {
    if (req.url.pathname.startsWith("/api/v1/namespaces/other/")) {
      await out.head(200, "application/json");
      await out.chunk(configMapList([configMap("o", 3)], 3));
      return await out.end();
    }
    const name = req.url.pathname.split("/")[6];
    if (name) {
      await out.head(200, "application/json");
      const body = configMap(name, 10);
      if (state.cut === "none") {
        await out.chunk(body);
        return await out.end();
      }
      if (state.cut !== "after-headers") await out.chunk(body.slice(0, body.length >> 1));
      return await out.sleep(50);
    }
    await answerList(out, state.cut);
  });
  const p = await startFaultProxy([up.link.url]);
  return {
    state,
    up,
    proxy: p.proxy,
    async close() {
      await p.close();
      await up.close();
    },
  };
}

/** Lists `OTHER` while the cut request is open: the proxy keeps serving everyone else. */
async function otherClientServed(url: string): Promise<void> {
  const r = await kubeJson(url, OTHER, { userAgent: "kube-proxy/v1.32.0", token: "other" });
  assertEquals([r.status, names(r.body)], [200, ["o"]]);
}

for (const cut of ["after-headers", "mid-list", "mid-item"] as const) {
  Deno.test(`a list cut ${cut} ends at once as an error, and the cache keeps the previous complete list`, async () => {
    const s = await start();
    try {
      const first = await kubeJson(s.proxy.url, LIST);
      assertEquals([first.status, names(first.body)], [200, ["a", "b"]]);
      await waitCommitted(s.proxy, 1);

      s.state.cut = cut;
      const t0 = performance.now();
      const res = await kubeFetch(s.proxy.url, LIST);
      const [body] = await Promise.all([readBody(res, 3000), otherClientServed(s.proxy.url)]);
      assert(body.end !== "hang", `the cut list hung: ${body.text}`);
      assert(performance.now() - t0 < 2000, "the cut list took over 2 s to end");
      // Headers had gone out as 200: the only honest end is a broken body, never a made-up
      // ending a client could take for the whole list.
      assertEquals(res.status, 200);
      assertEquals(body.end, "error", `a cut list ended cleanly: ${body.text}`);
      assert(!body.text.endsWith("]}"), body.text);
      await waitFor(() => metric(s.proxy, "edge_proxy_cache_lists_aborted") >= 1, 3000, "abort");

      s.up.link.setMode("refuse");
      const off = await kubeJson(s.proxy.url, LIST);
      assertEquals(off.status, 200, JSON.stringify(off.body));
      assertFromCache(off.headers);
      assertEquals(off.body, first.body);
    } finally {
      await s.close();
    }
  });
}

Deno.test("a get cut mid-body or after its headers is a 502 Status, and the cached object stays", async () => {
  const s = await start();
  try {
    const first = await kubeJson(s.proxy.url, `${LIST}/a`);
    assertEquals(first.status, 200);
    await waitCommitted(s.proxy, 1);
    for (const cut of ["after-headers", "mid-item"] as const) {
      s.state.cut = cut;
      const r = await kubeJson(s.proxy.url, `${LIST}/a`);
      assertEquals([r.status, r.body.kind, r.body.code], [502, "Status", 502], cut);
      await otherClientServed(s.proxy.url);
    }
    s.up.link.setMode("refuse");
    const off = await kubeJson(s.proxy.url, `${LIST}/a`);
    assertEquals(off.status, 200, JSON.stringify(off.body));
    assertFromCache(off.headers);
    assertEquals(off.body, first.body);
  } finally {
    await s.close();
  }
});

Deno.test("a watch cut mid-event or right after its headers ends cleanly with whole events only", async () => {
  const s = await start();
  let mode: "mid-event" | "after-headers" = "mid-event";
  try {
    const first = await kubeJson(s.proxy.url, LIST);
    assertEquals(first.status, 200);
    await waitCommitted(s.proxy, 1);
    const list = s.up.script;
    s.up.script = async (req, out) => {
      if (req.url.searchParams.get("watch") !== "true") return await list(req, out);
      await out.head(200, "application/json");
      if (mode === "after-headers") return await out.sleep(50);
      await out.chunk(`{"type":"ADDED","object":${configMap("c", 11)}}\n`);
      await out.sleep(100);
      await out.chunk(`{"type":"MODIFIED","object":${configMap("a", 12).slice(0, 30)}`);
      await out.sleep(300);
    };
    for (const m of ["mid-event", "after-headers"] as const) {
      mode = m;
      const res = await kubeFetch(s.proxy.url, `${LIST}?watch=true&resourceVersion=10`);
      assertEquals(res.status, 200);
      const [body] = await Promise.all([readBody(res, 3000), otherClientServed(s.proxy.url)]);
      // A watch is a stream of whole events: the proxy ends it cleanly and the client simply
      // watches again from the last resourceVersion it saw.
      assertEquals(body.end, "done", `${m}: ${body.text}`);
      const events = body.text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
      assertEquals(
        events.map((e) => `${e.type} ${e.object.metadata.name}`),
        m === "mid-event" ? ["ADDED c"] : [],
      );
    }
    await waitFor(() => metric(s.proxy, "edge_proxy_open_watches") === 0, 2000, "watches closed");
    await waitFor(
      () => metric(s.proxy, "edge_proxy_cache_watch_events_applied") >= 1,
      3000,
      "the whole event applied",
    );
    s.up.link.setMode("refuse");
    const off = await kubeJson(s.proxy.url, LIST);
    assertEquals(off.status, 200, JSON.stringify(off.body));
    assertFromCache(off.headers);
    // The whole ADDED was applied to the entry; the cut MODIFIED of "a" never was.
    assertEquals(names(off.body), ["a", "b", "c"]);
    const a = off.body.items!.find((i) => i.metadata.name === "a") as unknown as {
      metadata: { resourceVersion: string };
    };
    assertEquals(a.metadata.resourceVersion, "10");
  } finally {
    await s.close();
  }
});
