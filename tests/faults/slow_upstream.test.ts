/**
 * @module A slow or stalled upstream: a byte every 100 ms, or nothing after the headers (or
 * before them, on a link whose probes still answer). `upstream.requestTimeoutMs` bounds every
 * request that is not long-running; watches stay open; other clients are served meanwhile.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { kubeFetch, kubeJson, names } from "../e2e/kube_client.ts";
import {
  captureLogs,
  configMap,
  configMapList,
  FAULT_CONFIG,
  readBody,
  startFaultProxy,
  startFaultUpstream,
} from "./fault_upstream.ts";

const TIMEOUT_MS = 1500;
const CONFIG = FAULT_CONFIG.replace(
  "connectTimeoutMs: 500",
  "connectTimeoutMs: 500\n  requestTimeoutMs: 1500",
);
const NS = "/api/v1/namespaces";
const FAST_LIST = configMapList([configMap("fast", 2)], 2);

/**
 * Per namespace: `trickle` sends the list a byte per 100 ms, `slow-ok` in ten 100 ms pieces,
 * `stall` nothing after the headers, `no-headers` nothing at all; `fast` answers at once.
 */
async function start() {
  const up = await startFaultUpstream(async (req, out) => {
    const [, , , , ns, , name] = req.url.pathname.split("/");
    const body = name ? configMap(name, 5) : configMapList([configMap("a", 5)], 5);
    if (ns === "no-headers") return await out.sleep(4000);
    if (req.url.searchParams.get("watch") === "true") {
      await out.head(200, "application/json");
      await out.chunk(`{"type":"ADDED","object":${configMap("w", 6)}}\n`);
      return await out.sleep(4000);
    }
    await out.head(200, "application/json");
    if (ns === "fast") {
      await out.chunk(FAST_LIST);
      return await out.end();
    }
    if (ns === "stall") return await out.sleep(4000);
    const piece = ns === "trickle" ? 1 : Math.ceil(body.length / 10);
    for (let i = 0; i < body.length && !out.gone; i += piece) {
      await out.chunk(body.slice(i, i + piece));
      await out.sleep(100);
    }
    await out.end();
  });
  const p = await startFaultProxy([up.link.url], { config: CONFIG });
  return {
    url: p.proxy.url,
    async close() {
      await p.close();
      await up.close();
    },
  };
}

/** Allocates enough short-lived objects for a few garbage collections. */
function churn(): void {
  let keep = 0;
  for (let round = 0; round < 20; round++) {
    const junk: { n: number }[] = [];
    for (let i = 0; i < 200_000; i++) junk.push({ n: i });
    keep += junk.length;
  }
  if (keep < 0) throw new Error("unreachable");
}

/** Lists the fast namespace every 100 ms while `until` is pending: each must be quick. */
async function othersStayFast(url: string, until: Promise<unknown>): Promise<number> {
  let done = false;
  until.finally(() => done = true);
  let worst = 0;
  for (let i = 0; i < 60 && !done; i++) {
    const t0 = performance.now();
    const r = await kubeJson(url, `${NS}/fast/configmaps`, { userAgent: "kube-proxy/v1.32" });
    worst = Math.max(worst, performance.now() - t0);
    assertEquals([r.status, names(r.body)], [200, ["fast"]]);
    await new Promise((r) => setTimeout(r, 100));
  }
  return worst;
}

Deno.test("a list trickled a byte per 100 ms or stalled after its headers is cut at requestTimeoutMs and logged; others are unaffected", async () => {
  await captureLogs(async (logs) => {
    const s = await start();
    try {
      for (const ns of ["trickle", "stall"]) {
        const t0 = performance.now();
        const res = await kubeFetch(s.url, `${NS}/${ns}/configmaps`);
        assertEquals(res.status, 200);
        const reading = readBody(res, 5000);
        // Garbage collections while the body is open: Deno's fetch once lost the way to abort a
        // body whose Response object had been collected, and the deadline never cut it.
        churn();
        const worst = await othersStayFast(s.url, reading);
        const body = await reading;
        const ms = performance.now() - t0;
        assertEquals(body.end, "error", `${ns}: ${body.text}`);
        assert(ms >= TIMEOUT_MS - 100 && ms < TIMEOUT_MS + 1000, `${ns}: cut after ${ms} ms`);
        assert(worst < 500, `${ns}: another client waited ${Math.round(worst)} ms`);
        const line = logs.find((l) => l.includes(`/api/v1/namespaces/${ns}/configmaps`));
        assert(line, `${ns}: no log line`);
        assertMatch(line, /"level":"error".*failed.*TimeoutError/);
      }
    } finally {
      await s.close();
    }
  });
});

Deno.test("a slow list that finishes within requestTimeoutMs arrives whole", async () => {
  const s = await start();
  try {
    const r = await kubeJson(s.url, `${NS}/slow-ok/configmaps`);
    assertEquals([r.status, names(r.body)], [200, ["a"]]);
  } finally {
    await s.close();
  }
});

Deno.test("a get that stalls, trickles or gets no headers is a 504 Timeout Status at requestTimeoutMs", async () => {
  const s = await start();
  try {
    const runs = ["stall", "trickle", "no-headers"].map(async (ns) => {
      const t0 = performance.now();
      const r = await kubeJson(s.url, `${NS}/${ns}/configmaps/a`);
      const ms = performance.now() - t0;
      assertEquals([r.status, r.body.kind, r.body.reason], [504, "Status", "Timeout"], ns);
      assert(ms < TIMEOUT_MS + 1000, `${ns}: answered after ${ms} ms`);
    });
    const all = Promise.all(runs);
    const worst = await othersStayFast(s.url, all);
    await all;
    assert(worst < 500, `another client waited ${Math.round(worst)} ms`);
  } finally {
    await s.close();
  }
});

Deno.test("a watch is long-running: a quiet one stays open past requestTimeoutMs", async () => {
  const s = await start();
  try {
    const ctl = new AbortController();
    const res = await kubeFetch(s.url, `${NS}/stall/configmaps?watch=true`, { signal: ctl.signal });
    assertEquals(res.status, 200);
    const reading = readBody(res, TIMEOUT_MS + 700);
    const body = await reading;
    assertEquals(body.end, "hang", "the watch ended before the client did");
    assertEquals(JSON.parse(body.text).object.metadata.name, "w");
    ctl.abort();
  } finally {
    await s.close();
  }
});
