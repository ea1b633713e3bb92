/**
 * @module Load benchmark (issue 5): through edge-proxy (its own process, the default skip-
 * rule, cache on), 200 informer-like watches and 20 lists per second of 1,000 configmaps for
 * 60 s while the apiserver takes 50 writes per second; then the same with the link cut for the
 * middle 20 s. Every proxied watch is compared with a direct reference watch.
 *
 * `LOAD_SECONDS=20 deno run -A bench/load_bench.ts` runs it shorter (the cut scales along).
 */
import { FaultyLink } from "../src/sim/faulty_link.ts";
import { runLoad } from "./load_workload.ts";
import { f, printTable } from "./measure.ts";
import { startProxyProcess } from "./proxy_process.ts";
import { startSimProcess } from "./sim_process.ts";

const CONFIG = `filters:\n  - resources: [configmaps, pods]\n    drop: {namePrefix: "skip-"}\n`;

/** One run: the proxy's figures beside the workload's. */
async function oneRun(seconds: number, cut: boolean) {
  const sim = await startSimProcess(0, 1000);
  const link = await FaultyLink.start({
    hostname: "127.0.0.1",
    port: Number(new URL(sim.url).port),
  });
  const proxy = await startProxyProcess(CONFIG, link.url);
  try {
    let rss10 = 0;
    const cpu0 = proxy.cpuSeconds();
    const result = await runLoad({
      proxyUrl: proxy.url,
      directUrl: sim.url,
      namespace: "default",
      watches: 200,
      listsPerSecond: 20,
      writesPerSecond: 50,
      seconds,
      cut: cut
        ? {
          from: seconds / 3,
          to: (2 * seconds) / 3,
          set: (down) => link.setMode(down ? "refuse" : "pass"),
        }
        : undefined,
      drainSeconds: 60,
      sampleAt: Math.min(10, seconds / 6),
      onSample: () => rss10 = proxy.rss().now,
    });
    const cpu = proxy.cpuSeconds() - cpu0;
    return { result, rss10, rssEnd: proxy.rss().now, peak: proxy.rss().peak, cpu };
  } finally {
    await proxy.stop();
    await link.close();
    await sim.stop();
  }
}

/** Runs both loads and prints the table. */
export async function runLoadBench(): Promise<void> {
  const seconds = Number(Deno.env.get("LOAD_SECONDS") ?? 60);
  const runs = [await oneRun(seconds, false), await oneRun(seconds, true)];
  const row = (label: string, get: (x: (typeof runs)[0]) => string, target = "") =>
    [label, get(runs[0]), get(runs[1]), target] as [string, string, string, string];
  printTable(
    `Load (issue 5): 200 watches, 20 lists/s of 1,000 configmaps, 50 writes/s, ${seconds} s`,
    ["", "link up", `link cut ${f(seconds / 3, 0)}-${f((2 * seconds) / 3, 0)} s`, "target"],
    [
      row(
        "lists (errors; from the cache)",
        (x) => `${x.result.lists} (${x.result.listErrors}; ${x.result.listsFromCache})`,
        "no error",
      ),
      row(
        "writes on the apiserver (errors)",
        (x) => `${x.result.writes} (${x.result.writeErrors})`,
      ),
      row("events per watch (reference watch)", (x) => String(x.result.events)),
      row(
        "watches whose events differ from the reference",
        (x) => `${x.result.diverged} of 200`,
        "0",
      ),
      row("watches whose final view differs", (x) => `${x.result.unconverged} of 200`, "0"),
      row(
        "watches still behind after the drain (none lost)",
        (x) => `${x.result.behind} of 200`,
      ),
      row(
        "seconds after the load until every watch had the apiserver's view",
        (x) => f(x.result.drainSeconds, 1),
      ),
      row("re-watches / relists", (x) => `${x.result.rewatches} / ${x.result.relists}`),
      row(
        "proxy RSS at 10 s / end / peak, MB",
        (x) => `${f(x.rss10)} / ${f(x.rssEnd)} / ${f(x.peak)}`,
      ),
      row("RSS end vs 10 s", (x) => `${f((x.rssEnd / x.rss10 - 1) * 100, 0)}%`, "within 20%"),
      row(
        "proxy CPU s per 1,000 lists (all its work)",
        (x) => f((x.cpu / Math.max(1, x.result.lists)) * 1000, 2),
      ),
    ],
  );
  for (const [k, x] of runs.entries()) {
    for (const p of x.result.problems) console.log(`- ${k ? "cut" : "up"}: ${p}`);
  }
}

if (import.meta.main) await runLoadBench();
