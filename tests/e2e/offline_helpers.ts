/**
 * @module Helpers shared by the offline end-to-end tests: waiting for the cache writer to
 * commit, reading labelled `/metrics` series, and checking that an answer came from the cache.
 */
import { assert, assertMatch } from "../assert.ts";
import type { EdgeProxy } from "../../src/edge_proxy.ts";
import { metric, waitFor } from "./harness.ts";

/** Waits until at least `n` lists (or gets) have been committed by the proxy's cache writer. */
export async function waitCommitted(proxy: EdgeProxy, n: number, ms = 5000): Promise<void> {
  await waitFor(
    () => metric(proxy, "edge_proxy_cache_lists_committed") >= n,
    ms,
    `${n} cache commits`,
  );
}

/** The proxy's `/metrics` text, read over HTTP from the admin listener. */
export async function scrape(proxy: EdgeProxy): Promise<string> {
  const res = await fetch(`${proxy.adminUrl}/metrics`);
  return await res.text();
}

/** The value of one labelled series in a `/metrics` text, 0 when absent. */
export function series(text: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const inner = line.slice(name.length + 1, line.indexOf("}"));
    const have = inner.split(",");
    if (want.every((w) => have.includes(w))) return Number(line.slice(line.indexOf("} ") + 2));
  }
  return 0;
}

/** Asserts the response carries the edge cache's `Warning: 299` header. */
export function assertFromCache(headers: Headers): void {
  const w = headers.get("warning");
  assert(w !== null, "no Warning header: the answer did not come from the cache");
  assertMatch(w, /^299 - "served from the edge cache, \d+ s old"$/);
}
