import { assert, assertEquals, assertMatch } from "../assert.ts";
import { openCache } from "../../src/cache/open_cache.ts";
import { cmEntry, item, readAll, writeList } from "./_helpers.ts";

Deno.test("openCache creates the directory 0700 and the KV files 0600", async () => {
  const root = await Deno.makeTempDir();
  const path = `${root}/state/cache.kv`;
  const kv = await openCache(path);
  await writeList(kv, await cmEntry(), [item("default", "a", "1")], "1");
  assertEquals((await Deno.stat(`${root}/state`)).mode! & 0o777, 0o700);
  for (const suffix of ["", "-wal", "-shm"]) {
    const st = await Deno.stat(path + suffix).catch(() => null);
    if (suffix === "") assert(st, "the KV file exists");
    if (st) assertEquals(st.mode! & 0o777, 0o600, `${path}${suffix}`);
  }
  kv.close();
  await Deno.remove(root, { recursive: true });
});

Deno.test("openCache tightens an existing directory that others could read", async () => {
  const root = await Deno.makeTempDir();
  await Deno.chmod(root, 0o755);
  const kv = await openCache(`${root}/cache.kv`);
  assertEquals((await Deno.stat(root)).mode! & 0o777, 0o700);
  kv.close();
  await Deno.remove(root, { recursive: true });
});

Deno.test("openCache moves a corrupt KV file aside and starts empty", async () => {
  const root = await Deno.makeTempDir();
  const path = `${root}/cache.kv`;
  await Deno.writeTextFile(path, "not a database ".repeat(2000));
  const logs: { level: string; msg: string }[] = [];
  const kv = await openCache(path, (level, msg) => logs.push({ level, msg }));
  const entry = await cmEntry();
  assertEquals(await readAll(kv, entry), null);
  await writeList(kv, entry, [item("default", "a", "1")], "1");
  assertEquals((await readAll(kv, entry))?.names, ["default/a@1"]);
  kv.close();
  const aside = [...Deno.readDirSync(root)].map((e) => e.name).filter((n) =>
    n.startsWith("cache.kv.corrupt-")
  );
  assertEquals(aside.length, 1);
  assertEquals(await Deno.readTextFile(`${root}/${aside[0]}`), "not a database ".repeat(2000));
  const line = logs.find((l) => l.level === "error");
  assert(line, "an error line");
  assertMatch(line.msg, /Cache file ".*cache\.kv" is unreadable; moved it to ".*corrupt-\d+T\d+Z"/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("openCache reopens a file with its entries", async () => {
  const root = await Deno.makeTempDir();
  const path = `${root}/cache.kv`;
  const entry = await cmEntry();
  let kv = await openCache(path);
  await writeList(kv, entry, [item("default", "a", "7")], "7");
  kv.close();
  kv = await openCache(path);
  assertEquals((await readAll(kv, entry))?.names, ["default/a@7"]);
  kv.close();
  await Deno.remove(root, { recursive: true });
});

Deno.test("openCache opens :memory:", async () => {
  const kv = await openCache(":memory:");
  assertEquals(await readAll(kv, await cmEntry()), null);
  kv.close();
});
