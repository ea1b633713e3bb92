/**
 * @module In-process benchmark of the response filter: list throughput of `ListFilterStream`
 * against a pass-through stream and the naive parse-filter-stringify filter, and watch events
 * per second through `WatchFilterStream` with the latency it adds per event.
 *
 * Run alone with `deno run --allow-all bench/filter_bench.ts`.
 */

import { ListFilterStream } from "../src/filter/list_filter_stream.ts";
import { naiveFilterList } from "../src/filter/naive_filter.ts";
import { compileRules, type DropPredicate, dropPredicateFor } from "../src/filter/rules.ts";
import { WatchFilterStream } from "../src/filter/watch_filter_stream.ts";
import { makeBenchPod, makeBenchPodList } from "./pod_fixture.ts";

/** One measured figure. */
export interface Row {
  name: string;
  value: number;
  unit: string;
}

/** The input chunk size; Deno's HTTP client hands bodies over in chunks of up to 64 KiB. */
const CHUNK = 64 * 1024;
const encoder = new TextEncoder();

function chunked(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += CHUNK) out.push(bytes.subarray(i, i + CHUNK));
  return out;
}

/** Seconds to push `chunks` through `make()` and drain the output; best of `runs`. */
async function timeStream(
  chunks: Uint8Array[],
  make: () => TransformStream<Uint8Array, Uint8Array>,
  runs: number,
): Promise<{ seconds: number; outBytes: number }> {
  let best = Infinity, outBytes = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    let n = 0;
    for await (const c of ReadableStream.from(chunks).pipeThrough(make())) n += c.length;
    best = Math.min(best, (performance.now() - t0) / 1000);
    outBytes = n;
  }
  return { seconds: best, outBytes };
}

function skipRule(): DropPredicate {
  const rules = compileRules([{ resources: ["pods"], drop: { namePrefix: "skip-" } }]);
  return dropPredicateFor(rules, { resource: "pods", group: "", namespace: "" }, "kubelet")!;
}

async function benchList(label: string, pods: number, rows: Row[], naive: boolean) {
  const body = encoder.encode(makeBenchPodList(pods));
  const mb = body.length / 1e6;
  const chunks = chunked(body);
  const drop = skipRule();
  rows.push({ name: `${label}: list size (${pods} pods)`, value: mb, unit: "MB" });
  const pass = await timeStream(chunks, () => new TransformStream(), 3);
  const rss0 = Deno.memoryUsage().rss;
  const filt = await timeStream(chunks, () => new ListFilterStream(drop), 3);
  const rssGrowth = Math.max(0, Deno.memoryUsage().rss - rss0) / 1e6;
  rows.push({ name: `${label}: pass-through stream`, value: mb / pass.seconds, unit: "MB/s" });
  rows.push({
    name: `${label}: ListFilterStream (half dropped)`,
    value: mb / filt.seconds,
    unit: "MB/s",
  });
  rows.push({
    name: `${label}: filter / pass-through`,
    value: pass.seconds / filt.seconds,
    unit: "x",
  });
  if (naive) {
    const t0 = performance.now();
    const out = naiveFilterList(body, drop);
    const naiveSeconds = (performance.now() - t0) / 1000;
    if (Math.abs(out.length - filt.outBytes) > 16) {
      throw new Error("naive and stream outputs differ");
    }
    rows.push({ name: `${label}: naive filter`, value: mb / naiveSeconds, unit: "MB/s" });
    rows.push({ name: `${label}: filter / naive`, value: naiveSeconds / filt.seconds, unit: "x" });
  }
  rows.push({
    name: `${label}: RSS growth over 3 filter runs (input already resident)`,
    value: rssGrowth,
    unit: "MB",
  });
}

function watchLines(count: number): Uint8Array[] {
  const lines: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const type = i % 3 === 0 ? "ADDED" : "MODIFIED";
    const object = makeBenchPod(i, { prefix: i % 2 ? "skip-" : "pod-" });
    lines.push(encoder.encode(JSON.stringify({ type, object }) + "\n"));
  }
  return lines;
}

/** Median microseconds from writing one event to reading its output, over `count` events. */
async function eventLatency(
  lines: Uint8Array[],
  make: () => TransformStream<Uint8Array, Uint8Array>,
): Promise<number> {
  const ts = make();
  const writer = ts.writable.getWriter();
  const reader = ts.readable.getReader();
  const samples: number[] = [];
  for (let i = 0; i < lines.length; i += 2) { // even events are kept, so each one produces output
    const t0 = performance.now();
    writer.write(lines[i]);
    await reader.read();
    samples.push((performance.now() - t0) * 1000);
  }
  await writer.close();
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

async function benchWatch(rows: Row[]) {
  const count = 20000;
  const lines = watchLines(count);
  const drop = skipRule();
  const pass = await timeStream(lines, () => new TransformStream(), 3);
  const filt = await timeStream(lines, () => new WatchFilterStream(drop), 3);
  rows.push({
    name: `watch: pass-through (${count} ~6 KB events)`,
    value: count / pass.seconds,
    unit: "events/s",
  });
  rows.push({ name: "watch: WatchFilterStream", value: count / filt.seconds, unit: "events/s" });
  rows.push({
    name: "watch: added time per event (throughput)",
    value: Math.max(0, (filt.seconds - pass.seconds) / count) * 1e6,
    unit: "µs",
  });
  const sample = lines.slice(0, 4000);
  const lp = await eventLatency(sample, () => new TransformStream());
  const lf = await eventLatency(sample, () => new WatchFilterStream(drop));
  rows.push({ name: "watch: write-to-read latency, pass-through (median)", value: lp, unit: "µs" });
  rows.push({ name: "watch: write-to-read latency, filter (median)", value: lf, unit: "µs" });
}

/** Runs every measurement once and returns the figures. */
export async function runFilterBench(): Promise<Row[]> {
  const rows: Row[] = [];
  await benchList("60 MB", 10_000, rows, true);
  await benchList("200 MB", 33_000, rows, true);
  await benchWatch(rows);
  return rows;
}

if (import.meta.main) {
  const rows = await runFilterBench();
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) {
    const v = r.value >= 100 ? r.value.toFixed(0) : r.value.toFixed(2);
    console.log(`${r.name.padEnd(width)}  ${v.padStart(10)} ${r.unit}`);
  }
}
