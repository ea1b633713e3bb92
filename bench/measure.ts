/**
 * @module Small measuring helpers for the benchmarks: read a body to the end, time it, take
 * medians and percentiles, print a table.
 */

/**
 * Bytes of a response body read to the end, the seconds it took from the request, and the
 * seconds to the response headers (when a client learns it has an answer).
 */
export async function timedRead(
  url: string,
  init?: RequestInit,
): Promise<{ bytes: number; seconds: number; headerSeconds: number }> {
  const t0 = performance.now();
  const res = await fetch(url, init);
  const headerSeconds = (performance.now() - t0) / 1000;
  let bytes = 0;
  for await (const c of res.body!) bytes += c.byteLength;
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return { bytes, seconds: (performance.now() - t0) / 1000, headerSeconds };
}

/** The median of numbers. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The p-th percentile (0-100), nearest rank. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** One line of a result table: what, then values side by side. */
export type TableRow = [string, ...string[]];

/** Prints a Markdown table. */
export function printTable(title: string, header: string[], rows: TableRow[]): void {
  console.log(`\n### ${title}\n`);
  console.log(`| ${header.join(" | ")} |`);
  console.log(`|${header.map(() => "---").join("|")}|`);
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
}

/** A number with `d` decimals. */
export function f(x: number, d = 1): string {
  return Number.isFinite(x) ? x.toFixed(d) : "n/a";
}
