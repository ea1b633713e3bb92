/**
 * @module Secrets at rest: not written to the cache unless `cache.resources` names them, and then
 * only encrypted (AES-GCM, key from `cache.encryptionKeyFile`). The tests read the raw KV files
 * after the proxy has closed them and look for the secret's value, base64 and decoded.
 */
import { assert, assertEquals } from "../assert.ts";
import { makeConfigMap, makeSecret } from "../../src/sim/fixtures.ts";
import { metric, startStack, waitFor } from "../e2e/harness.ts";
import { kubeFetch, kubeJson, names } from "../e2e/kube_client.ts";
import { assertFromCache, waitCommitted } from "../e2e/offline_helpers.ts";

const SECRETS = "/api/v1/namespaces/default/secrets";
const PLAIN = "iso-plaintext-Zq7Xv2-hunter2";
const LATE_PLAIN = "iso-plaintext-late-Kp4Rw9-swordfish";
const CM_PLAIN = "iso-configmap-value-Mn3Tb8";

function secretWith(name: string, plain: string) {
  const s = makeSecret(0, { name });
  s.data = { password: btoa(plain) };
  return s;
}

function configMapWith(name: string, value: string) {
  const c = makeConfigMap(0, { name });
  c.data = { value };
  return c;
}

/** Every byte of the cache's files (`cache.kv`, `-wal`, `-shm`) as latin1 text. */
async function cacheFilesText(cachePath: string): Promise<string> {
  const dir = cachePath.slice(0, cachePath.lastIndexOf("/"));
  const base = cachePath.slice(cachePath.lastIndexOf("/") + 1);
  let text = "";
  let files = 0;
  for await (const e of Deno.readDir(dir)) {
    if (!e.isFile || !e.name.startsWith(base)) continue;
    text += new TextDecoder("latin1").decode(await Deno.readFile(`${dir}/${e.name}`));
    files++;
  }
  assert(files > 0, `no cache files in ${dir}`);
  return text;
}

function assertAbsent(text: string, ...values: string[]): void {
  for (const v of values) assert(!text.includes(v), `"${v}" is in the cache files`);
}

Deno.test("secrets named in cache.resources are cached encrypted and read back decrypted offline", async () => {
  const keyDir = await Deno.makeTempDir({ prefix: "edge-proxy-key-" });
  const keyFile = `${keyDir}/cache.key`;
  await Deno.writeTextFile(
    keyFile,
    btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))),
    { mode: 0o600 },
  );
  const s = await startStack({
    config: `
upstream:
  probeIntervalMs: 200
  probeTimeoutMs: 300
  connectTimeoutMs: 500
cache:
  resources: [secrets, configmaps]
  encryptionKeyFile: ${keyFile}
`,
  });
  try {
    s.sim.store.create("secrets", secretWith("db-cred", PLAIN));
    s.sim.store.create("configmaps", configMapWith("app-config", CM_PLAIN));
    const list = await kubeJson(s.proxy.url, SECRETS);
    assertEquals(names(list.body), ["db-cred"]);
    assertEquals((await kubeJson(s.proxy.url, `${SECRETS}/db-cred`)).status, 200);
    assertEquals(
      (await kubeJson(s.proxy.url, "/api/v1/namespaces/default/configmaps")).status,
      200,
    );
    await waitCommitted(s.proxy, 3);

    // A watch from the list's resourceVersion caches a secret created afterwards.
    const rv = (list.body.metadata as { resourceVersion: string }).resourceVersion;
    const ac = new AbortController();
    const watch = await kubeFetch(s.proxy.url, `${SECRETS}?watch=true&resourceVersion=${rv}`, {
      signal: ac.signal,
    });
    s.sim.store.create("secrets", secretWith("late", LATE_PLAIN));
    await waitFor(
      () => metric(s.proxy, "edge_proxy_cache_watch_events_applied") >= 1,
      5000,
      "the watch event to reach the cache",
    );
    ac.abort();
    await watch.body?.cancel().catch(() => {});

    await s.proxy.close();
    const raw = await cacheFilesText(s.cachePath);
    assertAbsent(raw, btoa(PLAIN), PLAIN, btoa(LATE_PLAIN), LATE_PLAIN, CM_PLAIN);

    s.link.setMode("refuse");
    const proxy = await s.restart();
    const offList = await kubeJson(proxy.url, SECRETS);
    assertEquals(offList.status, 200, JSON.stringify(offList.body));
    assertFromCache(offList.headers);
    const items = offList.body.items as unknown as {
      metadata: { name: string };
      data: { password: string };
    }[];
    assertEquals(
      items.map((i) => [i.metadata.name, atob(i.data.password)]).sort(),
      [["db-cred", PLAIN], ["late", LATE_PLAIN]],
    );
    const offGet = await kubeJson(proxy.url, `${SECRETS}/db-cred`);
    assertEquals(offGet.status, 200, JSON.stringify(offGet.body));
    assertFromCache(offGet.headers);
    assertEquals((offGet.body.data as { password: string }).password, btoa(PLAIN));
  } finally {
    await s.close();
    await Deno.remove(keyDir, { recursive: true });
  }
});

Deno.test("secrets not named in cache.resources never reach the cache file", async () => {
  const s = await startStack(); // the default cache.resources, no key
  try {
    s.sim.store.create("secrets", secretWith("db-cred", PLAIN));
    s.sim.store.create("configmaps", configMapWith("app-config", CM_PLAIN));
    assertEquals(names((await kubeJson(s.proxy.url, SECRETS)).body), ["db-cred"]);
    assertEquals((await kubeJson(s.proxy.url, `${SECRETS}/db-cred`)).status, 200);
    const w = await kubeFetch(s.proxy.url, `${SECRETS}?watch=true&timeoutSeconds=1`);
    await w.text();
    assertEquals(
      (await kubeJson(s.proxy.url, "/api/v1/namespaces/default/configmaps")).status,
      200,
    );
    await waitCommitted(s.proxy, 1);

    await s.proxy.close();
    const raw = await cacheFilesText(s.cachePath);
    // The control: without a key the configmap is stored as sent, so the search does find
    // plaintext when there is some.
    assert(raw.includes(CM_PLAIN), "the configmap is not in the cache files: the check is blind");
    assertAbsent(raw, btoa(PLAIN), PLAIN, "db-cred");

    s.link.setMode("refuse");
    const proxy = await s.restart();
    const off = await kubeJson(proxy.url, SECRETS);
    assertEquals(off.status, 503);
    assertEquals(off.body.kind, "Status");
    assertEquals((await kubeJson(proxy.url, `${SECRETS}/db-cred`)).status, 503);
  } finally {
    await s.close();
  }
});
