/**
 * @module `deno task bench`: every benchmark in one run, printed as Markdown tables.
 */
import { runFilterBench } from "./filter_bench.ts";
import { runProxyBench } from "./proxy_bench.ts";

console.log(
  `# edge-proxy benchmark, ${
    new Date().toISOString()
  }, deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores`,
);
const rows = await runFilterBench();
console.log("\n### Filter in process (no HTTP)\n\n| measure | value |\n|---|---|");
for (const r of rows) {
  console.log(`| ${r.name} | ${r.value.toFixed(r.value < 10 ? 2 : 0)} ${r.unit} |`);
}
await runProxyBench();
