import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert";
import { ListFilterStream, type ListMeta } from "../../src/filter/list_filter_stream.ts";
import { naiveFilterList } from "../../src/filter/naive_filter.ts";
import { chunkings, dec, enc, listBody, run, skipPrefix, splitAt, trickyItems } from "./helpers.ts";

const drop = skipPrefix();

async function checkAllChunkings(body: string, randomRuns = 20): Promise<void> {
  const bytes = enc.encode(body);
  const expected = dec.decode(naiveFilterList(bytes, drop));
  for (const chunks of chunkings(bytes, randomRuns)) {
    const out = dec.decode(await run(chunks, new ListFilterStream(drop)));
    // Compact input: the naive re-serialisation is exactly the byte-for-byte expectation.
    strictEqual(out, expected, `split into ${chunks.map((c) => c.length).join("+")}`);
  }
}

Deno.test("ListFilterStream matches the naive filter at every chunk boundary", async () => {
  await checkAllChunkings(listBody(trickyItems()));
});

Deno.test("ListFilterStream drops first, last, all and no items", async (t) => {
  const items = trickyItems();
  const cases: Record<string, unknown[]> = {
    "all dropped": items.filter((i) => JSON.stringify(i).includes('"skip-')),
    "none dropped": [{ metadata: { name: "a" } }, { metadata: { name: "b" } }],
    "only first kept": [{ metadata: { name: "a" } }, { metadata: { name: "skip-b" } }],
    "only last kept": [{ metadata: { name: "skip-a" } }, { metadata: { name: "b" } }],
    "single dropped": [{ metadata: { name: "skip-a" } }],
    "empty": [],
  };
  for (const [name, list] of Object.entries(cases)) {
    await t.step(name, () => checkAllChunkings(listBody(list), 2));
  }
});

Deno.test("ListFilterStream keeps top-level keys in any order, items first or last", async (t) => {
  const orders = [
    ["items", "metadata", "kind", "apiVersion"],
    ["metadata", "items", "apiVersion", "kind"],
    ["apiVersion", "kind", "items"],
  ];
  for (const order of orders) {
    await t.step(order.join(","), () => checkAllChunkings(listBody(trickyItems(), order), 2));
  }
  const extra = `{"extra":[1,{"items":[{"metadata":{"name":"skip-no"}}]}],"n":-1.5,"t":true,` +
    `"items":[{"metadata":{"name":"skip-a"}},{"metadata":{"name":"b"}}],"z":null,"kind":"L"}`;
  await t.step(
    "extra keys, scalars and a nested items key at top level",
    () => checkAllChunkings(extra, 2),
  );
});

Deno.test("ListFilterStream handles whitespace-formatted JSON", async () => {
  const source = JSON.stringify(JSON.parse(listBody(trickyItems())), null, 2);
  const bytes = enc.encode(source);
  const expected = JSON.parse(dec.decode(naiveFilterList(bytes, drop)));
  for (const chunks of chunkings(bytes, 5)) {
    const kept: string[] = [];
    const stream = new ListFilterStream(drop, {
      observer: { item: (b) => kept.push(dec.decode(b)) },
    });
    const out = dec.decode(await run(chunks, stream));
    deepStrictEqual(JSON.parse(out), expected);
    // Kept items pass byte for byte: each one's indented source text is in the output.
    let at = 0;
    for (const k of kept) {
      ok(source.includes(k));
      at = out.indexOf(k, at);
      ok(at >= 0, "kept item bytes appear in order");
    }
    strictEqual(kept.length, expected.items.length);
  }
});

Deno.test("ListFilterStream passes an item over 1 MB and drops another", async () => {
  const big = 'x\\"é'.repeat(400_000);
  const items = [
    { metadata: { name: "keep-big" }, data: { big } },
    { metadata: { name: "skip-big" }, data: { big } },
    { metadata: { name: "keep-small" } },
  ];
  const bytes = enc.encode(listBody(items));
  ok(bytes.length > 2_000_000);
  const expected = dec.decode(naiveFilterList(bytes, drop));
  for (const size of [1000, 4093, 65536, 1 << 20]) {
    const cuts: number[] = [];
    for (let k = size; k < bytes.length; k += size) cuts.push(k);
    strictEqual(dec.decode(await run(splitAt(bytes, cuts), new ListFilterStream(drop))), expected);
  }
});

Deno.test("ListFilterStream reports exactly the kept items and the list meta once", async () => {
  const bytes = enc.encode(listBody(trickyItems()));
  const expected = JSON.parse(dec.decode(naiveFilterList(bytes, drop))).items;
  for (const chunks of [splitAt(bytes, []), ...[...chunkings(bytes, 0)].slice(0, 50)]) {
    const names: string[] = [];
    const bodies: unknown[] = [];
    const ends: ListMeta[] = [];
    const observer = {
      item: (b: Uint8Array, v: { name: string }) => {
        names.push(v.name);
        bodies.push(JSON.parse(dec.decode(b)));
      },
      end: (m: ListMeta) => ends.push(m),
    };
    await run(chunks, new ListFilterStream(drop, { observer }));
    deepStrictEqual(bodies, expected);
    deepStrictEqual(names, expected.map((i: { metadata: { name: string } }) => i.metadata.name));
    deepStrictEqual(ends, [{
      kind: "ConfigMapList",
      apiVersion: "v1",
      resourceVersion: "42",
      continue: "c1",
      remainingItemCount: 3,
    }]);
  }
});

Deno.test("ListFilterStream ignores a throwing observer", async () => {
  const bytes = enc.encode(listBody(trickyItems()));
  const observer = {
    item: () => {
      throw new Error("cache full");
    },
    end: () => {
      throw new Error("cache gone");
    },
  };
  const out = await run([bytes], new ListFilterStream(drop, { observer }));
  deepStrictEqual(out, naiveFilterList(bytes, drop));
});

Deno.test("ListFilterStream with no predicate passes the body unchanged", async () => {
  const bytes = enc.encode(JSON.stringify(JSON.parse(listBody(trickyItems())), null, 1));
  for (const chunks of [...chunkings(bytes, 2)].slice(0, 100)) {
    deepStrictEqual(await run(chunks, new ListFilterStream(null)), bytes);
  }
});

Deno.test("ListFilterStream filters Table rows by their object", async () => {
  const row = (name: string) => ({
    cells: [name, "1"],
    object: { kind: "PartialObjectMetadata", metadata: { name } },
  });
  const table = JSON.stringify({
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: { resourceVersion: "9" },
    columnDefinitions: [{ name: "Name", type: "string" }],
    rows: [row("skip-a"), row("b"), { cells: ["no-object"] }, row("skip-c")],
  });
  const bytes = enc.encode(table);
  const expected = naiveFilterList(bytes, drop, { itemsKey: "rows" });
  strictEqual(JSON.parse(dec.decode(expected)).rows.length, 2);
  for (const chunks of chunkings(bytes, 2)) {
    deepStrictEqual(await run(chunks, new ListFilterStream(drop, { itemsKey: "rows" })), expected);
  }
});

Deno.test("ListFilterStream errors on malformed or truncated bodies", async (t) => {
  const bad: Record<string, string> = {
    "an array body": "[]",
    "a string body": '"x"',
    "items not an array": '{"items":{}}',
    "items null": '{"items":null}',
    "a non-object item": '{"items":[1]}',
    "a mismatched bracket": '{"items":[{"a":[1}]}',
    "a missing comma": '{"items":[{"a":1} {"b":2}]}',
    "a trailing comma": '{"items":[{"a":1},]}',
    "a bad top-level value": '{"kind":nope,"items":[]}',
    "garbage after the list": '{"items":[]} x',
    "a stray byte in an item": '{"items":[{"a":1 <}]}',
    "an html error page": "<html>502</html>",
    "empty": "",
  };
  for (const [name, body] of Object.entries(bad)) {
    await t.step(name, async () => {
      let ended = false;
      const s = new ListFilterStream(drop, { observer: { end: () => ended = true } });
      await rejects(run([enc.encode(body)], s), TypeError);
      strictEqual(ended, false);
    });
  }
  await t.step("every truncation of a valid body", async () => {
    const bytes = enc.encode(listBody(trickyItems()));
    for (let k = 0; k < bytes.length; k++) {
      let ended = false;
      const s = new ListFilterStream(drop, { observer: { end: () => ended = true } });
      await rejects(run(splitAt(bytes.subarray(0, k), [k >> 1]), s), TypeError, `cut at ${k}`);
      strictEqual(ended, false);
    }
  });
  await t.step("an item over maxItemBytes", async () => {
    const body = enc.encode(listBody([{ metadata: { name: "a" }, data: "y".repeat(5000) }]));
    await rejects(
      run(splitAt(body, [100, 3000]), new ListFilterStream(drop, { maxItemBytes: 4096 })),
      RangeError,
    );
  });
});
