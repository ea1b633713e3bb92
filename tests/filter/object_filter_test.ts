import { deepStrictEqual, rejects, strictEqual } from "node:assert";
import { readObjectFiltered } from "../../src/filter/object_filter.ts";
import { dec, enc, skipPrefix, splitAt } from "./helpers.ts";

const drop = skipPrefix();
const body = (s: string, cuts: number[] = []) => ReadableStream.from(splitAt(enc.encode(s), cuts));

Deno.test("readObjectFiltered reports a dropped object and keeps others byte for byte", async () => {
  const kept = '{ "kind":"ConfigMap", "metadata": {"name":"a\\u0062c","namespace":"ns"} }';
  const r = await readObjectFiltered(body(kept, [5, 9]), drop);
  strictEqual(r.dropped, false);
  strictEqual(dec.decode(r.bytes), kept);
  strictEqual(r.view.name, "abc");
  strictEqual(r.view.namespace, "ns");
  strictEqual(
    (await readObjectFiltered(body('{"metadata":{"name":"skip-x"}}'), drop)).dropped,
    true,
  );
  strictEqual(
    (await readObjectFiltered(body('{"metadata":{"name":"skip-x"}}'), null)).dropped,
    false,
  );
});

Deno.test("readObjectFiltered drops Table rows and the whole Table when all rows go", async () => {
  const table = (...names: string[]) =>
    JSON.stringify({
      kind: "Table",
      rows: names.map((name) => ({ cells: [name], object: { metadata: { name } } })),
    });
  const all = await readObjectFiltered(body(table("skip-a")), drop, { table: true });
  strictEqual(all.dropped, true);
  const some = await readObjectFiltered(body(table("skip-a", "b")), drop, { table: true });
  strictEqual(some.dropped, false);
  deepStrictEqual(JSON.parse(dec.decode(some.bytes)), JSON.parse(table("b")));
  const none = await readObjectFiltered(body(table("b")), drop, { table: true });
  strictEqual(dec.decode(none.bytes), table("b"));
});

Deno.test("readObjectFiltered rejects malformed and oversized bodies", async () => {
  await rejects(readObjectFiltered(body('{"metadata":{"name":"a"}'), drop), TypeError);
  await rejects(readObjectFiltered(body("[1]"), drop), TypeError);
  await rejects(readObjectFiltered(body('{"a":1} {}'), drop), TypeError);
  await rejects(readObjectFiltered(body(""), drop), TypeError);
  // Balanced but not JSON: a missing comma, a trailing comma, a bare word.
  await rejects(readObjectFiltered(body('{"metadata":{"name":"a"} "data":{}}'), drop), TypeError);
  await rejects(readObjectFiltered(body('{"metadata":{"name":"a",}}'), drop), TypeError);
  await rejects(readObjectFiltered(body('{"metadata":{"name":"a"},"x":tru}'), null), TypeError);
  await rejects(
    readObjectFiltered(body(`{"d":"${"x".repeat(100)}"}`), drop, { maxBytes: 50 }),
    RangeError,
  );
});
