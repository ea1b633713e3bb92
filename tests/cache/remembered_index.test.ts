/**
 * @module The index a list writer remembers after its commit: a relist of an unchanged entry
 * reads no record back and copies no unchanged object, and any doubt falls back to the scan.
 */
import { assert, assertEquals } from "../assert.ts";
import { ListCacheWriter } from "../../src/cache/list_cache_writer.ts";
import { applyWatchEvent } from "../../src/cache/watch_cache_updater.ts";
import { cmEntry, info, item, readAll, writeList } from "./_helpers.ts";

/** A KV whose `list` calls are counted. */
function listCountingKv(kv: Deno.Kv): { kv: Deno.Kv; lists: () => number } {
  let lists = 0;
  const wrapped = new Proxy(kv, {
    get(target, prop) {
      const v = Reflect.get(target, prop);
      if (prop === "list") {
        return (...a: Parameters<Deno.Kv["list"]>) => {
          lists++;
          return target.list(...a);
        };
      }
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { kv: wrapped, lists: () => lists };
}

const items = () => Array.from({ length: 300 }, (_, i) => item("default", `cm-${i}`, `${i + 1}`));

Deno.test("ListCacheWriter relists an entry it committed without reading its records back", async () => {
  const c = listCountingKv(await Deno.openKv(":memory:"));
  const entry = await cmEntry();
  assertEquals(await writeList(c.kv, entry, items(), "400"), "committed");
  const before = c.lists();
  const changed = items();
  changed[3] = item("default", "cm-3", "401");
  assertEquals(await writeList(c.kv, entry, changed.slice(0, 299), "402"), "committed");
  const lists = c.lists() - before;
  const got = await readAll(c.kv, entry);
  assertEquals(got?.rv, "402");
  assertEquals(got?.names.length, 299, "cm-299 is gone");
  assert(got?.names.includes("default/cm-3@401"));
  // Compaction lists the two names it touched; no scan of the entry's 300 records.
  assert(lists <= 2, `${lists} lists`);
  c.kv.close();
});

Deno.test("ListCacheWriter vouches for an object version only once it committed it", async () => {
  const kv = await Deno.openKv(":memory:");
  const entry = await cmEntry();
  const a = item("default", "a", "5");
  const first = new ListCacheWriter(kv, entry);
  assertEquals(first.knowsUnchanged("default", "a", "5", a.bytes.byteLength), false);
  first.push(a);
  assertEquals(await first.end(info("6")), "committed");
  const next = new ListCacheWriter(kv, entry);
  assertEquals(next.knowsUnchanged("default", "a", "5", a.bytes.byteLength), true);
  assertEquals(next.knowsUnchanged("default", "a", "7", a.bytes.byteLength), false);
  assertEquals(next.knowsUnchanged("default", "a", "5", a.bytes.byteLength + 1), false);
  assertEquals(next.knowsUnchanged("default", "b", "5", a.bytes.byteLength), false);
  assert(next.pushUnchanged("default", "a", "5", a.bytes.byteLength));
  assertEquals(await next.end(info("8")), "committed");
  const got = await readAll(kv, entry);
  assertEquals(got?.names, ["default/a@5"]);
  assertEquals(got?.texts, [new TextDecoder().decode(a.bytes)]);
  kv.close();
});

Deno.test("ListCacheWriter gives up when a vouched object changed meanwhile, keeping the entry", async () => {
  // Two handles on one file: the second one's commit is invisible to the first one's memory,
  // the one way a remembered index can go stale (the proxy alone owns its file).
  const path = await Deno.makeTempFile({ suffix: ".kv" });
  const kv = await Deno.openKv(path);
  const other = await Deno.openKv(path);
  const entry = await cmEntry();
  const a = item("default", "a", "5");
  await writeList(kv, entry, [a, item("default", "b", "6")], "6");
  assertEquals(
    await applyWatchEvent(other, entry, {
      type: "MODIFIED",
      namespace: "default",
      name: "a",
      resourceVersion: "7",
      bytes: item("default", "a", "7").bytes,
    }),
    "applied",
  );
  const w = new ListCacheWriter(kv, entry);
  assert(w.knowsUnchanged("default", "a", "5", a.bytes.byteLength), "a hint, not a promise");
  w.pushUnchanged("default", "a", "5", a.bytes.byteLength);
  assertEquals(await w.end(info("6")), "abandoned");
  assertEquals((await readAll(kv, entry))?.names, ["default/a@7", "default/b@6"]);
  // Forgotten after the abandoned write: nothing is vouched for until the next commit.
  const probe = new ListCacheWriter(kv, entry);
  assertEquals(probe.knowsUnchanged("default", "b", "6", 200), false);
  probe.abort();
  assertEquals(await probe.done, "abandoned");
  kv.close();
  other.close();
  await Deno.remove(path);
});

Deno.test("WatchCacheUpdater keeps the remembered index true, so a relist after a watch reads nothing back", async () => {
  const c = listCountingKv(await Deno.openKv(":memory:"));
  const entry = await cmEntry();
  await writeList(c.kv, entry, items(), "400");
  const ev = (type: "ADDED" | "MODIFIED" | "DELETED", name: string, rv: string) => ({
    type,
    namespace: "default",
    name,
    resourceVersion: rv,
    bytes: item("default", name, rv).bytes,
  });
  for (
    const e of [
      ev("MODIFIED", "cm-1", "401"),
      ev("DELETED", "cm-2", "402"),
      ev("ADDED", "new", "403"),
    ]
  ) {
    assertEquals(await applyWatchEvent(c.kv, entry, e), "applied");
  }
  const w = new ListCacheWriter(c.kv, entry);
  assert(
    w.knowsUnchanged("default", "cm-1", "401", item("default", "cm-1", "401").bytes.byteLength),
  );
  assert(!w.knowsUnchanged("default", "cm-2", "3", item("default", "cm-2", "3").bytes.byteLength));
  // The relist the apiserver would give now: everything vouched for, nothing copied.
  const now = items().filter((i) => i.name !== "cm-2");
  now[1] = item("default", "cm-1", "401");
  now.push(item("default", "new", "403"));
  const before = c.lists();
  for (const i of now) {
    assert(w.knowsUnchanged(i.namespace, i.name, i.resourceVersion, i.bytes.byteLength), i.name);
    w.pushUnchanged(i.namespace, i.name, i.resourceVersion, i.bytes.byteLength);
  }
  assertEquals(await w.end(info("404")), "committed");
  assertEquals(c.lists() - before, 0, "no scan, nothing to compact");
  const got = await readAll(c.kv, entry);
  assertEquals(got?.names.length, 300);
  assert(got?.names.includes("default/cm-1@401") && got.names.includes("default/new@403"));
  c.kv.close();
});
