/**
 * @module End-to-end benchmark, one run, side by side: the simulated apiserver straight vs
 * through edge-proxy without rules, with the filter rule, and with the filter and the cache.
 * Each proxy is its own process, so RSS, CPU and disk writes are its own.
 */
import { FaultyLink } from "../src/sim/faulty_link.ts";
import { f, median, percentile, printTable, type TableRow, timedRead } from "./measure.ts";
import { type ProxyProcess, startProxyProcess } from "./proxy_process.ts";
import { type SimProcess, startSimProcess } from "./sim_process.ts";
import { startNaiveProxy } from "./naive_proxy.ts";
import { startDenoRelay, startSocat } from "./tcp_relay.ts";

const NO_RULES = "filters: []\ncache: {enabled: false}\n";
const RULE =
  `filters:\n  - resources: [configmaps, pods]\n    drop: {namePrefix: "skip-"}\ncache: {enabled: false}\n`;
const RULE_CACHE = `filters:\n  - resources: [configmaps, pods]\n    drop: {namePrefix: "skip-"}\n`;
const KUBELET = {
  "user-agent": "kubelet/v1.32.0",
  accept: "application/vnd.kubernetes.protobuf,application/json",
  authorization: "Bearer bench",
};
/**
 * Rounds per comparison: the machine's noise (±20%) moved medians of 5 across the targets
 * between runs.
 */
const ROUNDS = 9;

/** MB/s of a list read to the end, median of ROUNDS, and the bytes read. */
async function listRate(url: string): Promise<{ mbps: number; mb: number }> {
  const rates: number[] = [];
  let mb = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const { bytes, seconds } = await timedRead(url, { headers: KUBELET });
    mb = bytes / 1e6;
    rates.push(mb / seconds);
  }
  return { mbps: median(rates), mb };
}

/**
 * The input size over the median time a list takes (so a filtered, smaller output is
 * comparable), for several URLs whose lists take turns within each round.
 */
async function inputRates(urls: string[], inputMb: number): Promise<number[]> {
  const times = urls.map(() => [] as number[]);
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, url] of urls.entries()) {
      times[k].push((await timedRead(url, { headers: KUBELET })).seconds);
    }
  }
  return times.map((t) => inputMb / median(t));
}

/** Naive filter: read the whole body, JSON.parse, filter, JSON.stringify. MB/s of input. */
async function naiveRate(url: string): Promise<number> {
  const times: number[] = [];
  let mb = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    const text = await (await fetch(url, { headers: KUBELET })).text();
    mb = text.length / 1e6;
    const list = JSON.parse(text);
    list.items = list.items.filter((i: { metadata: { name: string } }) =>
      !i.metadata.name.startsWith("skip-")
    );
    new TextEncoder().encode(JSON.stringify(list));
    times.push((performance.now() - t0) / 1000);
  }
  return mb / median(times);
}

/** Events per second of a burst of `n` updates made on `sim`, seen through a watch at `base`. */
async function watchBurst(base: string, sim: SimProcess, n: number): Promise<number> {
  const rv = await sim.resourceVersion();
  const res = await fetch(
    `${base}/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}`,
    {
      headers: KUBELET,
    },
  );
  const reader = res.body!.getReader();
  const t0 = performance.now();
  const made = sim.burst(n);
  let seen = 0;
  const deadline = Date.now() + 60_000;
  while (seen < n && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    for (const b of value) if (b === 10) seen++;
  }
  const s = (performance.now() - t0) / 1000;
  await made;
  await reader.cancel();
  return seen / s;
}

/** Median events/s of `rounds` bursts per base, the bases taking turns within each round. */
async function watchBursts(
  bases: string[],
  sim: SimProcess,
  n: number,
  rounds = 3,
): Promise<number[]> {
  const rates = bases.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (const [k, base] of bases.entries()) rates[k].push(await watchBurst(base, sim, n));
  }
  return rates.map(median);
}

/**
 * Milliseconds from asking `sim` for an update to its event at the client, `n` samples. The
 * control request's own round trip is in every sample, direct or proxied alike, so the
 * difference of two medians is what the proxy adds.
 */
async function eventLatency(base: string, sim: SimProcess, n: number): Promise<number[]> {
  const rv = await sim.resourceVersion();
  const res = await fetch(
    `${base}/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}`,
    {
      headers: KUBELET,
    },
  );
  const reader = res.body!.getReader();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const made = sim.burst(1);
    const { done } = await reader.read();
    if (done) break;
    out.push(performance.now() - t0);
    await made;
  }
  await reader.cancel();
  return out;
}

async function getLatencies(
  direct: string,
  proxy: string,
  n: number,
): Promise<{ d: number[]; p: number[] }> {
  const d: number[] = [], p: number[] = [];
  const path = "/api/v1/namespaces/default/configmaps/burst";
  for (let i = 0; i < n; i++) {
    for (const [base, acc] of [[direct, d], [proxy, p]] as const) {
      const t0 = performance.now();
      const r = await fetch(`${base}${path}`, { headers: KUBELET });
      await r.arrayBuffer();
      acc.push(performance.now() - t0);
    }
  }
  return { d, p };
}

async function waitCommitted(p: ProxyProcess, atLeast: number): Promise<void> {
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    const text = await (await fetch(`${p.adminUrl}/metrics`)).text();
    const m = /^edge_proxy_cache_lists_committed (\d+)/m.exec(text);
    if (m && Number(m[1]) >= atLeast) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("cache commit did not happen within 60 s");
}

/** Says on stderr what is being measured, so a slow or stuck step is visible. */
function step(what: string): void {
  console.error(`# ${new Date().toISOString().slice(11, 19)} ${what}`);
}

/** Runs every section and prints the tables. */
export async function runProxyBench(): Promise<void> {
  // --- 60 MB list (10,000 pods of ~6 KB, half named skip-) -----------------------------
  const sim = await startSimProcess(10_000);
  const link = await FaultyLink.start({
    hostname: "127.0.0.1",
    port: Number(new URL(sim.url).port),
  });
  const plain = await startProxyProcess(NO_RULES, sim.url);
  const ruled = await startProxyProcess(RULE, sim.url);
  const idle = plain.rss().now;
  const idleRuled = ruled.rss().now;
  const path = "/api/v1/pods";
  step("lists");
  const listMb = (await timedRead(`${sim.url}${path}`, { headers: KUBELET })).bytes / 1e6;
  // Any relay adds a hop whose copies share the 2 cores: the raw relays show that floor.
  const denoRelay = await startDenoRelay(sim.url);
  const socat = await startSocat(sim.url);
  const [directRate, plainRate, denoRelayRate, socatRate] = await inputRates(
    [sim.url, plain.url, denoRelay.url, ...(socat ? [socat.url] : [])].map((u) => `${u}${path}`),
    listMb,
  );
  await denoRelay.stop();
  await socat?.stop();
  const direct = { mb: listMb, mbps: directRate };
  const viaPlain = { mb: listMb, mbps: plainRate };
  const naiveProxy = await startNaiveProxy(sim.url);
  const [plainIn, ruledIn, naiveIn] = await inputRates(
    [`${plain.url}${path}`, `${ruled.url}${path}`, `${naiveProxy.url}${path}`],
    direct.mb,
  );
  await naiveProxy.stop();
  const naive = await naiveRate(`${sim.url}${path}`);
  step("watch bursts");
  const burstN = 10_000;
  const [burstDirect, burstPlain, burstRuled] = await watchBursts(
    [sim.url, plain.url, ruled.url],
    sim,
    burstN,
  );
  step("event latency");
  const latD = await eventLatency(sim.url, sim, 300);
  const latR = await eventLatency(ruled.url, sim, 300);
  step("small GETs");
  const gets = await getLatencies(sim.url, plain.url, 500);
  const rows: TableRow[] = [
    [
      `list ${f(direct.mb)} MB (10,000 pods), MB/s`,
      f(direct.mbps),
      f(viaPlain.mbps),
      f(viaPlain.mbps / direct.mbps, 2),
    ],
    [
      "same list through a raw TCP relay in Deno (no HTTP), MB/s",
      "",
      f(denoRelayRate),
      f(denoRelayRate / direct.mbps, 2),
    ],
    [
      "same list through socat (C, no HTTP), MB/s",
      "",
      socatRate === undefined ? "socat not installed" : f(socatRate),
      socatRate === undefined ? "" : f(socatRate / direct.mbps, 2),
    ],
    [
      `watch burst ${burstN} events, events/s`,
      f(burstDirect, 0),
      f(burstPlain, 0),
      f(burstPlain / burstDirect, 2),
    ],
    [
      "small GET p50, ms",
      f(median(gets.d), 3),
      f(median(gets.p), 3),
      `+${f(median(gets.p) - median(gets.d), 3)} ms`,
    ],
    [
      "small GET p99, ms",
      f(percentile(gets.d, 99), 3),
      f(percentile(gets.p, 99), 3),
      `+${f(percentile(gets.p, 99) - percentile(gets.d, 99), 3)} ms`,
    ],
    [
      "proxy RSS idle / after run / peak, MB",
      "",
      `${f(idle)} / ${f(plain.rss().now)} / ${f(plain.rss().peak)}`,
      "",
    ],
  ];
  printTable("Forwarding (issue 2): direct vs through edge-proxy, no rules, no cache", [
    "",
    "direct",
    "proxy",
    "ratio",
  ], rows);

  printTable("Filter (issue 3): 60 MB list, half the pods dropped (MB/s of input)", [
    "",
    "MB/s",
    "vs proxy without rules",
    "vs naive proxy",
  ], [
    ["proxy, no rules", f(plainIn), "1.00", f(plainIn / naiveIn, 2)],
    [
      "proxy, skip- rule (streaming filter)",
      f(ruledIn),
      f(ruledIn / plainIn, 2),
      f(ruledIn / naiveIn, 2),
    ],
    [
      "naive proxy (fetch, parse, filter, stringify, answer)",
      f(naiveIn),
      f(naiveIn / plainIn, 2),
      "1.00",
    ],
    [
      "naive filter in the client (no answer to send): vs it",
      f(naive),
      f(naive / plainIn, 2),
      `rule ${f(ruledIn / naive, 2)}`,
    ],
    [
      "watch burst through the filter, events/s",
      f(burstRuled, 0),
      f(burstRuled / burstPlain, 2),
      "",
    ],
    [
      "event latency p50 direct / filtered, ms",
      `${f(median(latD), 3)} / ${f(median(latR), 3)}`,
      `+${f(median(latR) - median(latD), 3)} ms`,
      "",
    ],
    [
      "filtering proxy RSS idle / peak after 60 MB lists, MB",
      `${f(idleRuled)} / ${f(ruled.rss().peak)}`,
      "",
      "",
    ],
  ]);

  // --- cache (issue 4) -------------------------------------------------------------------
  const cached = await startProxyProcess(RULE_CACHE, link.url);
  const w0 = cached.writeBytes();
  const firstList = await timedRead(`${cached.url}${path}`, { headers: KUBELET });
  await waitCommitted(cached, 1);
  const w1 = cached.writeBytes();
  await timedRead(`${cached.url}${path}`, { headers: KUBELET });
  await waitCommitted(cached, 2);
  const w2 = cached.writeBytes();
  // The cached proxy reaches the sim through the link (to cut it later), so its baseline is a
  // filtering proxy behind the same link, lists taking turns.
  const ruledViaLink = await startProxyProcess(RULE, link.url);
  const [ruledLinkIn, onlineCached] = await inputRates(
    [`${ruledViaLink.url}${path}`, `${cached.url}${path}`],
    direct.mb,
  );
  await ruledViaLink.stop();
  await waitCommitted(cached, 2 + ROUNDS);
  link.setMode("refuse");
  const firstOffline = await timedRead(`${cached.url}${path}`, { headers: KUBELET });
  const offline = await listRate(`${cached.url}${path}`);
  link.setMode("pass");
  await new Promise((r) => setTimeout(r, 2500)); // probes see the link again
  link.setMode("blackhole");
  const blackholed = await timedRead(`${cached.url}${path}`, { headers: KUBELET });
  link.setMode("pass");
  printTable("Cache (issue 4): 60 MB list (30 MB kept after the filter)", ["", "value", "target"], [
    [
      "list through filter+cache vs filter only, MB/s of input",
      `${f(onlineCached)} vs ${f(ruledLinkIn)} (${f(onlineCached / ruledLinkIn, 2)}x)`,
      ">= 0.75x",
    ],
    ["disk writes, first list (kept: ~30 MB)", `${f((w1 - w0) / 1e6)} MB`, ""],
    [
      "disk writes, repeated unchanged list",
      `${f((w2 - w1) / 1e6, 3)} MB (${f(((w2 - w1) / (firstList.bytes)) * 100, 2)}% of the list)`,
      "< 1%",
    ],
    [
      "offline list of the cached pods, MB/s (vs online through the proxy)",
      `${f(offline.mbps)} (${f(offline.mbps / (onlineCached * offline.mb / direct.mb), 2)}x)`,
      ">= 1.5x",
    ],
    [
      "refused link: time to the cached answer's headers (and to its end)",
      `${f(firstOffline.headerSeconds * 1000, 0)} ms (${f(firstOffline.seconds * 1000, 0)} ms)`,
      "< 100 ms",
    ],
    [
      "black-holed link: time to the cached answer's headers (and to its end)",
      `${f(blackholed.headerSeconds * 1000, 0)} ms (${f(blackholed.seconds * 1000, 0)} ms)`,
      "< 2,000 + 200 ms",
    ],
    ["caching proxy RSS peak, MB", f(cached.rss().peak), ""],
  ]);
  await cached.stop();
  await plain.stop();
  await ruled.stop();
  await link.close();
  await sim.stop();

  // --- 200 MB list: peak RSS of a fresh filtering proxy -----------------------------------
  const sim2 = await startSimProcess(34_000);
  const rows2: TableRow[] = [];
  for (
    const [label, cfg] of [["filter, no cache", RULE], ["filter + cache", RULE_CACHE]] as const
  ) {
    const p = await startProxyProcess(cfg, sim2.url);
    const idle2 = p.rss().now;
    const r = await timedRead(`${p.url}${path}`, { headers: KUBELET });
    const inMb = (await timedRead(`${sim2.url}${path}`, { headers: KUBELET })).bytes / 1e6;
    if (cfg === RULE_CACHE) await waitCommitted(p, 1).catch(() => {});
    rows2.push([
      label,
      f(inMb),
      f(idle2),
      f(p.rss().peak),
      f(p.rss().peak - idle2),
      f(inMb / r.seconds),
    ]);
    await p.stop();
  }
  await sim2.stop();
  printTable("Large list: proxy peak RSS", [
    "",
    "list MB",
    "idle RSS MB",
    "peak RSS MB",
    "growth MB",
    "MB/s",
  ], rows2);
}

if (import.meta.main) await runProxyBench();
