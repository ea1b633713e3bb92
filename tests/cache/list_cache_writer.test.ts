import { assert, assertEquals } from "../assert.ts";
import { ListCacheWriter } from "../../src/cache/list_cache_writer.ts";
import { createCacheStats } from "../../src/cache/cache_stats.ts";
import { readMeta } from "../../src/cache/entry_meta.ts";
import { allKeys, cmEntry, countingKv, info, item, readAll, writeList } from "./_helpers.ts";

Deno.test("ListCacheWriter writes a list that readEntry returns in name order", async () => {
  const kv = await Deno.openKv(":memory:");
  const entry = await cmEntry();
  const items = [item("default", "b", "3"), item("default", "a", "2"), item("default", "c", "4")];
  assertEquals(await writeList(kv, entry, items, "10"), "committed");
  const got = await readAll(kv, entry);
  assertEquals(got?.rv, "10");
  assertEquals(got?.names, ["default/a@2", "default/b@3", "default/c@4"]);
  assertEquals(got?.texts[0], new TextDecoder().decode(items[1].bytes));
  kv.close();
});

Deno.test("ListCacheWriter writes only the meta for a repeated unchanged list", async () => {
  const c = countingKv(await Deno.openKv(":memory:"));
  const entry = await cmEntry();
  const items = Array.from(
    { length: 1000 },
    (_, i) => item("default", `cm-${i}`, `${i + 1}`, 1000),
  );
  const listBytes = items.reduce((n, i) => n + i.bytes.byteLength, 0);
  await writeList(c.kv, entry, items, "2000");
  const before = await allKeys(c.kv, ["o"]);
  const stamps = new Map<string, string>();
  for await (const e of c.kv.list({ prefix: ["o"] })) {
    stamps.set(JSON.stringify(e.key), e.versionstamp);
  }
  const start = { ...c.counts };
  await writeList(c.kv, entry, items, "2001");
  const setBytes = c.counts.setBytes - start.setBytes;
  assertEquals(c.counts.sets - start.sets, 1, "only the meta is set");
  assertEquals(c.counts.deletes - start.deletes, 0);
  assert(setBytes < listBytes / 100, `${setBytes} bytes written for a ${listBytes}-byte list`);
  assertEquals(await allKeys(c.kv, ["o"]), before);
  for await (const e of c.kv.list({ prefix: ["o"] })) {
    assertEquals(e.versionstamp, stamps.get(JSON.stringify(e.key)));
  }
  assertEquals((await readAll(c.kv, entry))?.rv, "2001");
  c.kv.close();
});

Deno.test("ListCacheWriter rewrites only a changed object and compacts its old record", async () => {
  const c = countingKv(await Deno.openKv(":memory:"));
  const entry = await cmEntry();
  const items = Array.from({ length: 50 }, (_, i) => item("default", `cm-${i}`, `${i + 1}`));
  await writeList(c.kv, entry, items, "100");
  const start = { ...c.counts };
  items[7] = item("default", "cm-7", "101", 300);
  await writeList(c.kv, entry, items, "101");
  assertEquals(c.counts.sets - start.sets, 2, "the object and the meta");
  assertEquals(c.counts.deletes - start.deletes, 1, "the superseded record");
  const got = await readAll(c.kv, entry);
  assertEquals(got?.names.filter((n) => n.startsWith("default/cm-7@")), ["default/cm-7@101"]);
  assertEquals((await allKeys(c.kv, ["o"])).length, 50);
  c.kv.close();
});

Deno.test("ListCacheWriter drops an object the new list lacks, leaving no tombstone", async () => {
  const kv = await Deno.openKv(":memory:");
  const entry = await cmEntry();
  await writeList(kv, entry, [item("default", "a", "1"), item("default", "b", "2")], "5");
  await writeList(kv, entry, [item("default", "b", "2")], "6");
  assertEquals((await readAll(kv, entry))?.names, ["default/b@2"]);
  assertEquals((await allKeys(kv, ["o"])).length, 1, "tombstone and old record compacted");
  await writeList(kv, entry, [], "7");
  assertEquals((await readAll(kv, entry))?.names, []);
  assertEquals(await allKeys(kv, ["o"]), []);
  kv.close();
});

Deno.test("ListCacheWriter commits pages only when the last page ends", async () => {
  const kv = await Deno.openKv(":memory:");
  const entry = await cmEntry();
  await writeList(kv, entry, [item("default", "old", "1")], "1");
  const w = new ListCacheWriter(kv, entry);
  for (let i = 0; i < 500; i++) w.push(item("default", `p1-${i}`, "2", 2000));
  // Let the writer commit batches of page 1: they must stay invisible.
  await new Promise((r) => setTimeout(r, 100));
  assert((await allKeys(kv, ["o"])).length > 1, "page 1 was committed at the pending generation");
  assertEquals((await readAll(kv, entry))?.names, ["default/old@1"]);
  for (let i = 0; i < 500; i++) w.push(item("default", `p2-${i}`, "2", 2000));
  assertEquals((await readAll(kv, entry))?.rv, "1");
  assertEquals(await w.end(info("2")), "committed");
  const got = await readAll(kv, entry);
  assertEquals(got?.rv, "2");
  assertEquals(got?.names.length, 1000);
  kv.close();
});

Deno.test("ListCacheWriter abandoned after one page keeps the whole old entry", async () => {
  const kv = await Deno.openKv(":memory:");
  const entry = await cmEntry();
  const old = Array.from({ length: 20 }, (_, i) => item("default", `cm-${i}`, "1"));
  await writeList(kv, entry, old, "1");
  const stats = createCacheStats();
  const w = new ListCacheWriter(kv, entry, { stats });
  for (let i = 0; i < 600; i++) w.push(item("default", `new-${i}`, "2", 3000));
  await new Promise((r) => setTimeout(r, 50));
  w.abort("continue chain broken");
  assertEquals(await w.done, "abandoned");
  assertEquals(stats.listsAborted, 1);
  assertEquals((await readAll(kv, entry))?.names.length, 20);
  assertEquals((await allKeys(kv, ["o"])).length, 20, "pending generation deleted");
  kv.close();
});

Deno.test("ListCacheWriter for the same entry abandons the unfinished one", async () => {
  const kv = await Deno.openKv(":memory:");
  const entry = await cmEntry();
  const first = new ListCacheWriter(kv, entry);
  first.push(item("default", "a", "1"));
  const second = new ListCacheWriter(kv, entry);
  second.push(item("default", "b", "2"));
  assertEquals(first.push(item("default", "c", "1")), false);
  assertEquals(await second.end(info("2")), "committed");
  assertEquals(await first.done, "abandoned");
  assertEquals((await readAll(kv, entry))?.names, ["default/b@2"]);
  kv.close();
});

Deno.test("ListCacheWriter gives up on queue overflow and keeps the old entry", async () => {
  const kv = await Deno.openKv(":memory:");
  const entry = await cmEntry();
  await writeList(kv, entry, [item("default", "a", "1")], "1");
  const stats = createCacheStats();
  const logs: string[] = [];
  const w = new ListCacheWriter(kv, entry, {
    stats,
    maxQueueBytes: 10_000,
    logger: (level, msg) => logs.push(`${level} ${msg}`),
  });
  let accepted = 0;
  for (let i = 0; i < 100; i++) if (w.push(item("default", `x-${i}`, "2", 1000))) accepted++;
  assert(accepted < 100);
  assertEquals(await w.end(info("2")), "abandoned");
  assertEquals(stats.writeFailures, 1);
  assert(logs.some((l) => l.startsWith("warn Cache write abandoned: queue over")), logs.join());
  assertEquals((await readAll(kv, entry))?.names, ["default/a@1"]);
  kv.close();
});

Deno.test("ListCacheWriter gives up on a KV failure and the old entry stays readable", async () => {
  const c = countingKv(await Deno.openKv(":memory:"));
  const entry = await cmEntry();
  await writeList(c.kv, entry, [item("default", "a", "1")], "1");
  c.failAfter = c.counts.commits + 1;
  const stats = createCacheStats();
  const items = Array.from({ length: 400 }, (_, i) => item("default", `x-${i}`, "2", 5000));
  assertEquals(await writeList(c.kv, entry, items, "2", { stats }), "abandoned");
  assertEquals(stats.writeFailures, 1);
  assertEquals((await readAll(c.kv, entry))?.names, ["default/a@1"]);
  c.failAfter = Infinity;
  assertEquals(await writeList(c.kv, entry, items.slice(0, 3), "3"), "committed");
  assertEquals((await readAll(c.kv, entry))?.names.length, 3);
  assertEquals((await allKeys(c.kv, ["o"])).length, 3, "no leftovers of the failed write");
  c.kv.close();
});

Deno.test("ListCacheWriter gives up when no page comes within the idle timeout", async () => {
  const kv = await Deno.openKv(":memory:");
  const entry = await cmEntry();
  const w = new ListCacheWriter(kv, entry, { idleTimeoutMs: 30 });
  w.push(item("default", "a", "1"));
  assertEquals(await w.done, "abandoned");
  assertEquals((await readMeta(kv, entry)).meta, null);
  kv.close();
});

Deno.test("ListCacheWriter round-trips objects of 100 KiB and 1.5 MB", async () => {
  const kv = await Deno.openKv(":memory:");
  const entry = await cmEntry();
  const big = [item("default", "k100", "1", 100 * 1024), item("default", "m15", "2", 1_500_000)];
  const small = item("default", "z", "3");
  assertEquals(await writeList(kv, entry, [...big, small], "3"), "committed");
  const got = await readAll(kv, entry);
  const dec = new TextDecoder();
  assertEquals(got?.texts, [
    dec.decode(big[0].bytes),
    dec.decode(big[1].bytes),
    dec.decode(small.bytes),
  ]);
  // Shrinking the big object at a later generation must not leak its old tail chunks.
  const smaller = item("default", "m15", "4", 70_000);
  await writeList(kv, entry, [big[0], smaller, small], "4");
  const again = await readAll(kv, entry);
  assertEquals(again?.texts[1], dec.decode(smaller.bytes));
  assertEquals((await allKeys(kv, ["o", entry.partition, entry.id, "default", "m15"])).length, 2);
  kv.close();
});
