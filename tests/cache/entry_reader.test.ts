import { assert, assertEquals } from "../assert.ts";
import { getObject, readEntry } from "../../src/cache/entry_reader.ts";
import { ListCacheWriter } from "../../src/cache/list_cache_writer.ts";
import { entryRef } from "../../src/cache/cache_keys.ts";
import { allKeys, cmEntry, info, item, readAll, writeList } from "./_helpers.ts";

Deno.test("readEntry keeps reading its generation while a newer list commits", async () => {
  const kv = await Deno.openKv(":memory:");
  const entry = await cmEntry();
  const v1 = Array.from({ length: 300 }, (_, i) => item("default", `cm-${i}`, "1"));
  await writeList(kv, entry, v1, "1");
  const snap = await readEntry(kv, entry);
  assert(snap);
  const it = snap[Symbol.asyncIterator]();
  const first = await it.next();
  assertEquals(first.value?.resourceVersion, "1");
  // Every object changes; compaction of the old records must wait for this reader.
  const w = new ListCacheWriter(kv, entry, { drainTimeoutMs: 5000 });
  for (let i = 0; i < 300; i++) w.push(item("default", `cm-${i}`, "2"));
  w.end(info("2"));
  await new Promise((r) => setTimeout(r, 50));
  assertEquals((await readAll(kv, entry))?.rv, "2", "new readers see the new generation");
  let n = 1;
  for (let r = await it.next(); !r.done; r = await it.next()) {
    assertEquals(r.value.resourceVersion, "1");
    n++;
  }
  assertEquals(n, 300, "the old snapshot stayed whole");
  assertEquals(await w.done, "committed");
  assertEquals((await allKeys(kv, ["o"])).length, 300, "compacted after the reader finished");
  kv.close();
});

Deno.test("readEntry skips compaction's wait for a snapshot never iterated once closed", async () => {
  const kv = await Deno.openKv(":memory:");
  const entry = await cmEntry();
  await writeList(kv, entry, [item("default", "a", "1")], "1");
  const snap = await readEntry(kv, entry);
  snap?.close();
  const t0 = Date.now();
  await writeList(kv, entry, [item("default", "a", "2")], "2");
  assert(Date.now() - t0 < 1000);
  assertEquals((await allKeys(kv, ["o"])).length, 1);
  kv.close();
});

Deno.test("readEntry filters one namespace of an all-namespace entry", async () => {
  const kv = await Deno.openKv(":memory:");
  const entry = await entryRef("kubelet:fp", { resource: "configmaps", namespace: "" });
  await writeList(kv, entry, [item("b", "x", "1"), item("a", "y", "2"), item("a", "x", "3")], "3");
  const snap = await readEntry(kv, entry, { namespace: "a" });
  const got: string[] = [];
  for await (const o of snap!) got.push(`${o.namespace}/${o.name}`);
  assertEquals(got, ["a/x", "a/y"]);
  assertEquals((await readAll(kv, entry))?.names, ["a/x@3", "a/y@2", "b/x@1"]);
  kv.close();
});

Deno.test("getObject tells a missing object of a complete entry from a missing entry", async () => {
  const kv = await Deno.openKv(":memory:");
  const entry = await cmEntry();
  assertEquals(await getObject(kv, entry, "default", "a"), null);
  await writeList(kv, entry, [item("default", "a", "1")], "1");
  const hit = await getObject(kv, entry, "default", "a");
  assertEquals(hit?.object?.resourceVersion, "1");
  const miss = await getObject(kv, entry, "default", "zz");
  assertEquals(miss?.object, null);
  assertEquals(miss?.meta.resourceVersion, "1");
  kv.close();
});
