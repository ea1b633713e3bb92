/**
 * @module A 100 MB request body through the real program (`src/main.ts` as a subprocess, so its
 * RSS is its own): it reaches the upstream whole and the proxy's memory does not grow with it.
 */
import { startProgram } from "../e2e/program.ts";
import { assert, assertEquals } from "../assert.ts";
import { startUpstream } from "../e2e/scripted_upstream.ts";

const TOTAL = 100 * 1024 * 1024;
const CHUNK = 256 * 1024;

/** Resident set size and its peak (VmHWM) of `pid`, in MB. */
function rss(pid: number): { now: number; peak: number } {
  const text = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? NaN);
  return { now: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

/** The real program with generous link timeouts, in `dir`. */
async function startLenientProgram(upstream: string, dir: string) {
  // Generous link timeouts: the upstream shares the test's process with the client pumping
  // 100 MB, and under `--parallel` load its probe answers can lag past the defaults; this test
  // is about memory, not timeouts.
  await Deno.writeTextFile(
    `${dir}/config.yaml`,
    "upstream:\n  connectTimeoutMs: 30000\n  probeTimeoutMs: 30000\n",
  );
  const p = await startProgram(upstream, `${dir}/cache.kv`, [`--config=${dir}/config.yaml`]);
  return { url: p.url, pid: p.child.pid, stop: () => p.kill("SIGTERM") };
}

Deno.test("a 100 MB POST body streams through the proxy without its RSS growing by the body", async () => {
  let received = 0;
  const up = startUpstream(async (req) => {
    let n = 0;
    for await (const c of req.body ?? []) n += c.length;
    received += n;
    return Response.json({ kind: "ConfigMap", received: n }, { status: 201 });
  });
  const dir = await Deno.makeTempDir({ prefix: "edge-proxy-fuzz-" });
  const proc = await startLenientProgram(up.url, dir);
  try {
    const post = (bytes: number) => {
      let sent = 0;
      const chunk = new Uint8Array(CHUNK).fill(0x61);
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          if (sent >= bytes) return c.close();
          const n = Math.min(CHUNK, bytes - sent);
          c.enqueue(chunk.slice(0, n));
          sent += n;
        },
      }, { highWaterMark: 0 });
      return fetch(`${proc.url}/api/v1/namespaces/default/configmaps`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        signal: AbortSignal.timeout(30_000),
      });
    };
    // Warm up the request path first, so what follows measures the body alone.
    const warm = await post(4 * 1024 * 1024);
    assertEquals((await warm.json()).received, 4 * 1024 * 1024);
    const before = rss(proc.pid);
    const res = await post(TOTAL);
    assertEquals(res.status, 201);
    assertEquals((await res.json()).received, TOTAL);
    const after = rss(proc.pid);
    // Buffered, the body alone would add 100 MB or more. Streamed, the peak grows by ~1 MB in
    // most runs and by ~44 MB in about a third of them (measured 56 times, the same before and
    // after the zod/mini change, with or without a 1 MB young generation). Those ~44 MB sit in
    // one anonymous 64 MB mapping, by its shape a malloc arena of a native thread, and stay
    // after the request; which native buffer fills it is not known (README, Known limits). The
    // bound sits well above that and well below the body's 100 MB.
    assert(
      after.peak - before.now < 64,
      `RSS ${before.now.toFixed(0)} MB before, peak ${after.peak.toFixed(0)} MB after`,
    );
    assertEquals(received, TOTAL + 4 * 1024 * 1024);
  } finally {
    await proc.stop();
    await up.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
