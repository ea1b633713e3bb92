import { deepStrictEqual, strictEqual, throws } from "node:assert";
import { ByteItemView, rowObjectBytes, rowObjectView } from "../../src/filter/byte_item_view.ts";
import { ObjectItemView } from "../../src/filter/object_item_view.ts";
import { enc, trickyItems } from "./helpers.ts";

const view = (s: string) => new ByteItemView(enc.encode(s));

Deno.test("ByteItemView reads what ObjectItemView reads", () => {
  const paths = [
    "metadata.name",
    "spec.n",
    "spec.t",
    "spec.f",
    "spec.z",
    "spec",
    "data.k",
    "missing.x",
    "kind",
  ];
  for (const item of trickyItems()) {
    for (const text of [JSON.stringify(item), JSON.stringify(item, null, 3)]) {
      const b = view(text), o = new ObjectItemView(item);
      strictEqual(b.name, o.name);
      strictEqual(b.namespace, o.namespace);
      strictEqual(b.resourceVersion, o.resourceVersion);
      deepStrictEqual(b.labels, o.labels);
      for (const p of paths) strictEqual(b.field(p), o.field(p), p);
    }
  }
});

Deno.test("ByteItemView decodes escaped keys and values", () => {
  const v = view(
    '{"meta\\u0064ata":{"n\\u0061me":"a\\"b\\\\c\\u00e9","labels":{"k\\"":"v"}},"spec":{"x\\\\y":1}}',
  );
  strictEqual(v.name, 'a"b\\cé');
  deepStrictEqual(v.labels, { 'k"': "v" });
  strictEqual(v.field("spec.x\\y"), "1");
});

Deno.test("ByteItemView ignores nested metadata and items keys", () => {
  const v = view(
    '{"spec":{"metadata":{"name":"inner"}},"items":[{"metadata":{"name":"x"}}],"metadata":{"name":"outer"}}',
  );
  strictEqual(v.name, "outer");
  strictEqual(view('{"spec":{"metadata":{"name":"inner"}}}').name, "");
});

Deno.test("ByteItemView throws TypeError on malformed bytes it walks", () => {
  throws(() => view('{"metadata" {"name":"a"}}').name, TypeError);
  throws(() => view('{"metadata":{"name":"a}}').name, TypeError);
  throws(() => view("[1]"), TypeError);
});

Deno.test("rowObjectView reads a Table row's object", () => {
  strictEqual(
    rowObjectView(enc.encode('{"cells":["x"],"object":{"metadata":{"name":"r"}}}')).name,
    "r",
  );
  strictEqual(rowObjectView(enc.encode('{"cells":["x"]}')).name, "");
});

Deno.test("rowObjectBytes returns a Table row's embedded object byte for byte, or null", () => {
  const dec = new TextDecoder();
  const obj = `{"kind":"Pod","metadata":{"name":"a\\"}"},"spec":{"x":[1,{"y":"}"}]}}`;
  const row = enc.encode(`{"cells":["a","}"],"object":${obj},"z":1}`);
  strictEqual(dec.decode(rowObjectBytes(row)!), obj);
  strictEqual(rowObjectBytes(enc.encode(`{"cells":["a"]}`)), null);
  strictEqual(rowObjectBytes(enc.encode(`{"cells":["a"],"object":null}`)), null);
});
