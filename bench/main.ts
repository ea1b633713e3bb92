/**
 * @module `deno task bench [filter] [proxy] [load]`: the named sections (all by default) in
 * one run, printed as Markdown tables.
 */
import { runFilterBench } from "./filter_bench.ts";
import { runLoadBench } from "./load_bench.ts";
import { runProxyBench } from "./proxy_bench.ts";

const SECTIONS = ["filter", "proxy", "load"];
const wanted = Deno.args.length ? Deno.args : SECTIONS;
const unknown = wanted.filter((s) => !SECTIONS.includes(s));
if (unknown.length) {
  console.error(`Unknown section ${unknown.join(", ")}; sections: ${SECTIONS.join(", ")}`);
  Deno.exit(2);
}
console.log(
  `# edge-proxy benchmark, ${
    new Date().toISOString()
  }, deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores`,
);
if (wanted.includes("filter")) {
  const rows = await runFilterBench();
  console.log("\n### Filter in process (no HTTP)\n\n| measure | value |\n|---|---|");
  for (const r of rows) {
    console.log(`| ${r.name} | ${r.value.toFixed(r.value < 10 ? 2 : 0)} ${r.unit} |`);
  }
}
if (wanted.includes("proxy")) await runProxyBench();
if (wanted.includes("load")) await runLoadBench();
