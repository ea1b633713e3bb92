/**
 * @module Test helpers for the filter streams: chunk splitting, running a stream, sample data.
 */

import { compileRules, type DropPredicate, dropPredicateFor } from "../../src/filter/rules.ts";

export const enc = new TextEncoder();
export const dec = new TextDecoder();

/** Copies of `bytes` cut at the given offsets, so no chunk shares memory with another. */
export function splitAt(bytes: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const o of [...offsets, bytes.length]) {
    out.push(bytes.slice(prev, o));
    prev = o;
  }
  return out;
}

/** Every two-chunk split of `bytes`, then 1-byte chunks, then seeded random splits. */
export function* chunkings(bytes: Uint8Array, randomRuns = 20): Generator<Uint8Array[]> {
  for (let k = 0; k <= bytes.length; k++) yield splitAt(bytes, [k]);
  yield splitAt(bytes, Array.from({ length: bytes.length - 1 }, (_, k) => k + 1));
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let r = 0; r < randomRuns; r++) {
    const cuts: number[] = [];
    for (let k = 1; k < bytes.length; k++) if (rand() < 0.05) cuts.push(k);
    yield splitAt(bytes, cuts);
  }
}

/** Pipes chunks through the stream and joins the output. */
export async function run(
  chunks: Uint8Array[],
  stream: TransformStream<Uint8Array, Uint8Array>,
): Promise<Uint8Array> {
  const out = await Array.fromAsync(ReadableStream.from(chunks).pipeThrough(stream));
  const joined = new Uint8Array(out.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of out) {
    joined.set(c, o);
    o += c.length;
  }
  return joined;
}

/** The original brief's rule: drop everything named `skip-...`. */
export function skipPrefix(): DropPredicate {
  const rules = compileRules([{
    resources: ["configmaps", "pods"],
    drop: { namePrefix: "skip-" },
  }]);
  return dropPredicateFor(rules, { resource: "configmaps", group: "", namespace: "" }, "kubelet")!;
}

/** Items that exercise the scanner: escapes, unicode, nested `items` keys, odd member order. */
export function trickyItems(): Record<string, unknown>[] {
  return [
    { metadata: { name: "skip-first", namespace: "a" }, data: { k: 'quote " and \\ slash' } },
    {
      metadata: { name: "keep-1", labels: { app: "web" } },
      items: [{ metadata: { name: "skip-x" } }],
    },
    { data: { "items": "[{]}", x: '\\\\\\"' }, metadata: { name: "keep-ünïcödé-✓-😀" } },
    { metadata: { name: "skip-middle", annotations: { a: "😀😀 \u0000 \u001f" } } },
    { kind: "ConfigMap", metadata: { name: "keep-2", resourceVersion: "7" }, data: { "": "" } },
    { metadata: { name: 'skip-esc"aped' }, spec: { n: -1.5e3, t: true, f: false, z: null } },
    { metadata: { name: "keep-3", namespace: "b" }, arr: [[], {}, [[{}]], "]", "}"] },
    { metadata: { name: "keep-long" }, s: "a".repeat(29) + '\\"\\' + "b".repeat(40) + "\\" },
    { metadata: { name: "skip-long" }, s: "\\".repeat(35) + '"'.repeat(33) + "é".repeat(20) },
    { metadata: { name: "skip-last" } },
  ];
}

/** A compact list body around `items`, with the top-level keys in the given order. */
export function listBody(items: unknown[], order = ["kind", "apiVersion", "metadata", "items"]) {
  const top: Record<string, unknown> = {
    kind: "ConfigMapList",
    apiVersion: "v1",
    metadata: { resourceVersion: "42", continue: "c1", remainingItemCount: 3 },
    items,
  };
  return JSON.stringify(Object.fromEntries(order.map((k) => [k, top[k]])));
}
