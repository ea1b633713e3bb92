import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert";
import { naiveFilterWatch } from "../../src/filter/naive_filter.ts";
import { WatchFilterStream } from "../../src/filter/watch_filter_stream.ts";
import { chunkings, dec, enc, run, skipPrefix, splitAt, trickyItems } from "./helpers.ts";

const drop = skipPrefix();

function watchBody(): string {
  const items = trickyItems();
  const events: unknown[] = [];
  items.forEach((object, k) => {
    events.push({ type: ["ADDED", "MODIFIED", "DELETED"][k % 3], object });
    events.push({ type: ["MODIFIED", "DELETED", "ADDED"][k % 3], object });
  });
  events.push({
    type: "BOOKMARK",
    object: { kind: "ConfigMap", metadata: { resourceVersion: "99" } },
  });
  events.push({
    type: "ERROR",
    object: { kind: "Status", status: "Failure", reason: "Expired", code: 410, metadata: {} },
  });
  events.push({ type: "ADDED", object: { metadata: { name: "skip-after-error" } } });
  return events.map((e) => JSON.stringify(e) + "\n").join("");
}

Deno.test("WatchFilterStream matches the naive filter at every chunk boundary", async () => {
  const bytes = enc.encode(watchBody());
  // Compact events: the naive re-serialisation equals the byte-for-byte expectation.
  const expected = dec.decode(naiveFilterWatch(bytes, drop));
  for (const chunks of chunkings(bytes, 10)) {
    strictEqual(dec.decode(await run(chunks, new WatchFilterStream(drop))), expected);
  }
});

Deno.test("WatchFilterStream turns a dropped MODIFIED into DELETED and hides ADDED/DELETED", async () => {
  const obj = '{"metadata":{"name":"skip-a","resourceVersion":"5"},"data":{"k":"v"}}';
  const body = [
    `{"type":"ADDED","object":${obj}}`,
    `{"type":"MODIFIED","object":${obj}}`,
    `{"type":"DELETED","object":${obj}}`,
    `{"type":"MODIFIED", "object": {"metadata":{"name":"keep"}} }`,
    `{"type":"BOOKMARK","object":{"metadata":{"name":"skip-bm","resourceVersion":"6"}}}`,
  ].join("\n") + "\n";
  const out = dec.decode(await run([enc.encode(body)], new WatchFilterStream(drop)));
  strictEqual(
    out,
    `{"type":"DELETED","object":${obj}}\n` +
      `{"type":"MODIFIED", "object": {"metadata":{"name":"keep"}} }\n` +
      `{"type":"BOOKMARK","object":{"metadata":{"name":"skip-bm","resourceVersion":"6"}}}\n`,
  );
});

Deno.test("WatchFilterStream enqueues each event as soon as its line completes", async () => {
  const ts = new WatchFilterStream(drop);
  const writer = ts.writable.getWriter();
  const reader = ts.readable.getReader();
  const line = enc.encode('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n');
  writer.write(line.subarray(0, 10));
  writer.write(line.subarray(10));
  deepStrictEqual((await reader.read()).value, line);
  writer.write(enc.encode('{"type":"ADDED","object":{"metadata":{"name":"b"}}}\n{"type":'));
  strictEqual(
    dec.decode((await reader.read()).value!),
    '{"type":"ADDED","object":{"metadata":{"name":"b"}}}\n',
  );
  await writer.abort();
});

Deno.test("WatchFilterStream reports the events actually sent", async () => {
  const bytes = enc.encode(watchBody());
  const seen: string[] = [];
  const observer = {
    event(type: string, object: Uint8Array, view: { name: string } | null) {
      seen.push(`${type} ${view?.name ?? "-"} ${dec.decode(object).length}`);
      if (seen.length === 2) throw new Error("observers cannot break the stream");
    },
  };
  const out = dec.decode(
    await run(splitAt(bytes, [7, 300]), new WatchFilterStream(drop, { observer })),
  );
  const sent = out.trim().split("\n").map((l) => JSON.parse(l));
  deepStrictEqual(
    seen,
    sent.map((e) =>
      `${e.type} ${e.object.metadata?.name ?? ""} ${JSON.stringify(e.object).length}`
    ),
  );
});

Deno.test("WatchFilterStream filters Table rows and drops an event whose rows all go", async () => {
  const row = (name: string) => ({ cells: [name], object: { metadata: { name } } });
  const table = (...names: string[]) => ({
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    rows: names.map(row),
  });
  const body = [
    { type: "ADDED", object: table("skip-a", "b") },
    { type: "ADDED", object: table("skip-a") },
    { type: "MODIFIED", object: table("skip-a") },
    { type: "MODIFIED", object: table("c") },
    { type: "DELETED", object: table("skip-a") },
  ].map((e) => JSON.stringify(e) + "\n").join("");
  const bytes = enc.encode(body);
  const expected = dec.decode(naiveFilterWatch(bytes, drop, { table: true }));
  strictEqual(expected.split("\n").length - 1, 3);
  for (const chunks of chunkings(bytes, 3)) {
    strictEqual(
      dec.decode(await run(chunks, new WatchFilterStream(drop, { table: true }))),
      expected,
    );
  }
});

Deno.test("WatchFilterStream errors on malformed, truncated and over-long lines", async (t) => {
  const bad: Record<string, string> = {
    "not json": "hello\n",
    "no type": '{"object":{}}\n',
    "no object": '{"type":"ADDED"}\n',
    "unbalanced object": '{"type":"ADDED","object":{"metadata":{"name":"a"}}\n',
    "trailing garbage": '{"type":"ADDED","object":{}} x\n',
    "truncated last line": '{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n{"type":"ADD',
  };
  for (const [name, body] of Object.entries(bad)) {
    await t.step(
      name,
      () => rejects(run([enc.encode(body)], new WatchFilterStream(drop)), TypeError),
    );
  }
  await t.step("over maxLineBytes, across chunks", async () => {
    const line = enc.encode(`{"type":"ADDED","object":{"d":"${"x".repeat(3000)}"}}\n`);
    await rejects(
      run(splitAt(line, [1000, 2000]), new WatchFilterStream(drop, { maxLineBytes: 2048 })),
      RangeError,
    );
  });
  await t.step("a complete last event without newline is accepted", async () => {
    const out = await run(
      [enc.encode('{"type":"ADDED","object":{"metadata":{"name":"a"}}}')],
      new WatchFilterStream(drop),
    );
    ok(out.length > 0);
  });
});
