import { assert, assertEquals } from "../assert.ts";
import { applyWatchEvent, WatchCacheUpdater } from "../../src/cache/watch_cache_updater.ts";
import { createCacheStats } from "../../src/cache/cache_stats.ts";
import { getObject } from "../../src/cache/entry_reader.ts";
import { allKeys, cmEntry, countingKv, item, readAll, writeList } from "./_helpers.ts";

function event(
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK",
  name: string,
  rv: string,
  size = 200,
) {
  return {
    type,
    namespace: "default",
    name,
    resourceVersion: rv,
    bytes: item("default", name, rv, size).bytes,
  };
}

Deno.test("applyWatchEvent applies ADDED, MODIFIED, DELETED and BOOKMARK", async (t) => {
  const kv = await Deno.openKv(":memory:");
  const entry = await cmEntry();
  await writeList(kv, entry, [item("default", "a", "1"), item("default", "b", "2")], "10");
  const cases: [ReturnType<typeof event>, string, string[]][] = [
    [event("ADDED", "c", "11"), "11", ["default/a@1", "default/b@2", "default/c@11"]],
    [event("MODIFIED", "a", "12"), "12", ["default/a@12", "default/b@2", "default/c@11"]],
    [event("DELETED", "b", "13"), "13", ["default/a@12", "default/c@11"]],
    [event("BOOKMARK", "", "20"), "20", ["default/a@12", "default/c@11"]],
  ];
  for (const [ev, rv, names] of cases) {
    await t.step(`${ev.type} ${ev.name}`, async () => {
      assertEquals(await applyWatchEvent(kv, entry, ev), "applied");
      const got = await readAll(kv, entry);
      assertEquals(got?.rv, rv);
      assertEquals(got?.names, names);
    });
  }
  assertEquals((await allKeys(kv, ["o"])).length, 2, "superseded records and tombstones compacted");
  kv.close();
});

Deno.test("applyWatchEvent writes the record and the meta in one commit", async () => {
  const c = countingKv(await Deno.openKv(":memory:"));
  const entry = await cmEntry();
  await writeList(c.kv, entry, [item("default", "a", "1")], "10");
  const before = { ...c.counts };
  await applyWatchEvent(c.kv, entry, event("ADDED", "b", "11"));
  assertEquals(c.counts.commits - before.commits, 1, "no compaction needed for a new name");
  assertEquals(c.counts.sets - before.sets, 2);
  c.kv.close();
});

Deno.test("applyWatchEvent skips events not newer than the entry", async () => {
  const kv = await Deno.openKv(":memory:");
  const entry = await cmEntry();
  const stats = createCacheStats();
  await writeList(kv, entry, [item("default", "a", "5")], "10");
  assertEquals(await applyWatchEvent(kv, entry, event("MODIFIED", "a", "9"), { stats }), "skipped");
  assertEquals(
    await applyWatchEvent(kv, entry, event("MODIFIED", "a", "10"), { stats }),
    "skipped",
  );
  assertEquals(stats.watchEventsSkipped, 2);
  assertEquals((await readAll(kv, entry))?.names, ["default/a@5"]);
  kv.close();
});

Deno.test("applyWatchEvent answers no-entry for an entry never listed", async () => {
  const kv = await Deno.openKv(":memory:");
  assertEquals(await applyWatchEvent(kv, await cmEntry(), event("ADDED", "a", "1")), "no-entry");
  assertEquals(await allKeys(kv), []);
  kv.close();
});

Deno.test("applyWatchEvent stores an object larger than one commit", async () => {
  const kv = await Deno.openKv(":memory:");
  const entry = await cmEntry();
  await writeList(kv, entry, [item("default", "a", "1")], "10");
  const big = event("MODIFIED", "a", "11", 1_500_000);
  assertEquals(await applyWatchEvent(kv, entry, big), "applied");
  const got = await getObject(kv, entry, "default", "a");
  assertEquals(got?.object?.bytes.length, big.bytes.length);
  assertEquals(got?.meta.resourceVersion, "11");
  kv.close();
});

Deno.test("WatchCacheUpdater stops at a gap instead of skipping changes", async () => {
  const kv = await Deno.openKv(":memory:");
  const entry = await cmEntry();
  await writeList(kv, entry, [item("default", "a", "1")], "10");
  // The stream started after 15: changes in 11..15 are not in it.
  const late = new WatchCacheUpdater(kv, entry, "15");
  assertEquals(await late.apply(event("ADDED", "b", "16")), "gap");
  assert(late.stopped);
  assertEquals(await late.apply(event("ADDED", "c", "17")), "gap");
  const ok = new WatchCacheUpdater(kv, entry, "10");
  const results = await Promise.all([
    ok.apply(event("ADDED", "b", "11")),
    ok.apply(event("MODIFIED", "b", "12")),
    ok.apply(event("DELETED", "a", "13")),
  ]);
  assertEquals(results, ["applied", "applied", "applied"]);
  assertEquals((await readAll(kv, entry))?.names, ["default/b@12"]);
  // A list committed behind the stream (from a stale cache) would lose changes: stop.
  await writeList(kv, entry, [item("default", "b", "11")], "11");
  assertEquals(await ok.apply(event("MODIFIED", "b", "14")), "gap");
  kv.close();
});
