import { assert, assertEquals } from "../assert.ts";
import { collectGarbage } from "../../src/cache/collect_garbage.ts";
import { ListCacheWriter } from "../../src/cache/list_cache_writer.ts";
import { openCache } from "../../src/cache/open_cache.ts";
import { entryRef } from "../../src/cache/cache_keys.ts";
import { allKeys, cmEntry, item, readAll, writeList } from "./_helpers.ts";

Deno.test("A write killed before its flip leaves the old entry, and start-up collects it", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/cache/cache.kv`;
  const entry = await cmEntry();
  const fresh = await entryRef("kubectl:fp", { resource: "configmaps", namespace: "other" });
  let kv = await openCache(path);
  const old = Array.from({ length: 30 }, (_, i) => item("default", `cm-${i}`, "1", 1000));
  await writeList(kv, entry, old, "1");
  const w = new ListCacheWriter(kv, entry);
  const neverFinished = new ListCacheWriter(kv, fresh);
  for (let i = 0; i < 300; i++) {
    w.push(item("default", `cm-${i}`, "2", 5000));
    neverFinished.push(item("other", `x-${i}`, "2", 5000));
  }
  // Wait until both writers have committed batches of their pending generation, then "crash".
  for (let i = 0; i < 200; i++) {
    if ((await allKeys(kv, ["o", entry.partition, fresh.id])).length > 0) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  kv.close();
  // The process is gone: its writers can neither finish nor clean up.
  w.abort("killed");
  neverFinished.abort("killed");
  assertEquals(await w.done, "abandoned");
  assertEquals(await neverFinished.done, "abandoned");

  kv = await Deno.openKv(path);
  const leftovers = (await allKeys(kv, ["o"])).length;
  assert(leftovers > 30, `${leftovers} records: the pending generations survived the crash`);
  const names = old.map((o) => o.name).sort();
  assertEquals((await readAll(kv, entry))?.names, names.map((n) => `default/${n}@1`));
  assertEquals(await readAll(kv, fresh), null);
  const report = await collectGarbage(kv);
  assertEquals(report.recordsDeleted, leftovers - 30);
  assertEquals((await allKeys(kv, ["o"])).length, 30);
  kv.close();

  kv = await openCache(path);
  assertEquals((await readAll(kv, entry))?.rv, "1");
  kv.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("collectGarbage removes superseded records and lone tombstones", async () => {
  const kv = await Deno.openKv(":memory:");
  const entry = await cmEntry();
  await writeList(kv, entry, [item("default", "a", "1"), item("default", "b", "1")], "1");
  const p = ["o", entry.partition, entry.id, "default"];
  // What a compaction skipped (an unclosed reader) would leave: an old gen and a tombstone.
  const a1 = await kv.get([...p, "a", 1, 0]);
  await kv.set([...p, "a", 0, 0], a1.value);
  const meta = await kv.get<Uint8Array>(["m", entry.partition, entry.id]);
  const m = JSON.parse(new TextDecoder().decode(meta.value!));
  await kv.set(
    ["m", entry.partition, entry.id],
    new TextEncoder().encode(JSON.stringify({ ...m, gen: 2 })),
  );
  const tomb = new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 50]);
  await kv.set([...p, "b", 2, 0], tomb);
  const report = await collectGarbage(kv);
  assertEquals(report.recordsDeleted, 3);
  assertEquals(await allKeys(kv, ["o"]), [JSON.stringify([...p, "a", 1, 0])]);
  assertEquals((await readAll(kv, entry))?.names, ["default/a@1"]);
  kv.close();
});
