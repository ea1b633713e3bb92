import { assert, assertEquals, assertRejects } from "../assert.ts";
import { loadAesGcmCodec } from "../../src/cache/aes_gcm_codec.ts";
import { openCache } from "../../src/cache/open_cache.ts";
import { applyWatchEvent } from "../../src/cache/watch_cache_updater.ts";
import { entryRef } from "../../src/cache/cache_keys.ts";
import { readAll, writeList } from "./_helpers.ts";

const enc = new TextEncoder();

function secret(name: string, rv: string, size = 300) {
  const text = JSON.stringify({
    kind: "Secret",
    metadata: { namespace: "default", name, resourceVersion: rv },
    data: { password: "TOP-SECRET-PLAINTEXT", pad: "y".repeat(size) },
  });
  return { namespace: "default", name, resourceVersion: rv, bytes: enc.encode(text) };
}

Deno.test("AES-GCM codec keeps secrets' plaintext out of the KV file", async () => {
  const root = await Deno.makeTempDir();
  const keyFile = `${root}/key`;
  await Deno.writeTextFile(
    keyFile,
    btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))),
  );
  const codec = await loadAesGcmCodec(keyFile);
  const path = `${root}/cache.kv`;
  const kv = await openCache(path);
  const entry = await entryRef("kubelet:fp", { resource: "secrets", namespace: "default" });
  const items = [secret("s1", "1"), secret("big", "2", 200_000)];
  assertEquals(await writeList(kv, entry, items, "2", { codec }), "committed");
  await applyWatchEvent(kv, entry, { type: "ADDED", ...secret("s2", "3") }, { codec });
  const got = await readAll(kv, entry, codec);
  assertEquals(got?.names, ["default/big@2", "default/s1@1", "default/s2@3"]);
  assert(got!.texts.every((t) => t.includes("TOP-SECRET-PLAINTEXT")));
  // The same list again is recognised as unchanged without decrypting anything.
  assertEquals(await writeList(kv, entry, items, "4", { codec }), "committed");
  kv.close();
  for (const suffix of ["", "-wal"]) {
    const bytes = await Deno.readFile(path + suffix).catch(() => new Uint8Array());
    const text = new TextDecoder("latin1").decode(bytes);
    assert(!text.includes("TOP-SECRET-PLAINTEXT"), `plaintext in ${path}${suffix}`);
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("AES-GCM codec refuses a record from another key and a bad key file", async () => {
  const root = await Deno.makeTempDir();
  await Deno.writeFile(`${root}/k1`, crypto.getRandomValues(new Uint8Array(32)));
  await Deno.writeFile(`${root}/k2`, crypto.getRandomValues(new Uint8Array(32)));
  await Deno.writeTextFile(`${root}/bad`, "short");
  const c1 = await loadAesGcmCodec(`${root}/k1`);
  const c2 = await loadAesGcmCodec(`${root}/k2`);
  const sealed = await c1.encode(enc.encode("hello"));
  assertEquals(new TextDecoder().decode(await c1.decode(sealed)), "hello");
  await assertRejects(() => c2.decode(sealed));
  await assertRejects(() => loadAesGcmCodec(`${root}/bad`), RangeError, "expected 32 bytes");
  await Deno.remove(root, { recursive: true });
});
