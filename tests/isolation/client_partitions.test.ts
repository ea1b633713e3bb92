/**
 * @module Two clients with different identities (User-Agent component, credentials) never receive
 * each other's cached data: not when a request falls back to the cache as the link dies, not
 * offline, not after a restart. A client with nothing cached of its own gets a 503, never another's.
 */
import { assertEquals } from "../assert.ts";
import { makeConfigMap } from "../../src/sim/fixtures.ts";
import { startStack, waitFor } from "../e2e/harness.ts";
import { kubeJson, names } from "../e2e/kube_client.ts";
import { assertFromCache, waitCommitted } from "../e2e/offline_helpers.ts";

const CMS = "/api/v1/namespaces/default/configmaps";
const KUBELET = "kubelet/v1.32.0 (linux/arm64) kubernetes/abc";
const KUBE_PROXY = "kube-proxy/v1.32.0 (linux/arm64) kubernetes/abc";

/** A client identity: its User-Agent and its bearer token (none: no Authorization header). */
interface Client {
  userAgent: string;
  token: string | null;
}

const A: Client = { userAgent: KUBELET, token: "token-a" };
const B: Client = { userAgent: KUBELET, token: "token-b" }; // same UA as A, another token
const C: Client = { userAgent: KUBE_PROXY, token: "token-a" }; // same token as A, another UA
const E: Client = { userAgent: KUBELET, token: null }; // no credentials: the proxy's own are used
const D: Client = { userAgent: KUBELET, token: "token-d" }; // never listed anything
const F: Client = { userAgent: KUBE_PROXY, token: "token-b" }; // B's token, C's UA, never listed
const G: Client = { userAgent: KUBELET, token: "token-g" }; // lists online only after the others

async function request(base: string, path: string, c: Client) {
  const headers: Record<string, string> = { "user-agent": c.userAgent, accept: "application/json" };
  if (c.token !== null) headers.authorization = `Bearer ${c.token}`;
  const res = await fetch(`${base}${path}`, { headers });
  const body = await res.json();
  return { status: res.status, headers: res.headers, body };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => `cm-${i}`).sort();

Deno.test("clients with different identities never receive each other's cached lists or objects", async (t) => {
  const s = await startStack();
  try {
    // Each client lists at a different state of the store, so each partition holds a
    // different copy and any mix-up shows as a wrong set of names.
    const seen = new Map<Client, string[]>();
    for (let i = 0; i < 3; i++) s.sim.store.create("configmaps", makeConfigMap(i));
    for (const [i, c] of [A, B, C, E].entries()) {
      if (i > 0) s.sim.store.create("configmaps", makeConfigMap(2 + i)); // cm-3, cm-4, cm-5
      const r = await request(s.proxy.url, CMS, c);
      assertEquals(r.status, 200);
      seen.set(c, names(r.body));
    }
    assertEquals(seen.get(A), range(3));
    assertEquals(seen.get(B), range(4));
    assertEquals(seen.get(C), range(5));
    assertEquals(seen.get(E), range(6));
    await waitCommitted(s.proxy, 4);

    await t.step("online, a client that cached nothing gets the apiserver's answer", async () => {
      const r = await request(s.proxy.url, CMS, G);
      assertEquals(r.status, 200);
      assertEquals(r.headers.get("warning"), null);
      assertEquals(names(r.body), range(6));
    });
    s.link.setMode("refuse");

    await t.step(
      "as the link dies, a request falling back to the cache gets its own copy",
      async () => {
        const r = await request(s.proxy.url, CMS, A);
        assertEquals(r.status, 200, JSON.stringify(r.body));
        assertFromCache(r.headers);
        assertEquals(names(r.body), range(3));
      },
    );
    await waitFor(() => !s.proxy.pool.online(), 5000, "the proxy to go offline");

    const offline = async (base: string) => {
      for (const [c, want] of seen) {
        const r = await request(base, CMS, c);
        assertEquals(r.status, 200, JSON.stringify(r.body));
        assertFromCache(r.headers);
        assertEquals(names(r.body), want);
      }
    };
    await t.step(
      "offline, each identity gets exactly the copy it received",
      () => offline(s.proxy.url),
    );

    await t.step("offline, same UA with another token gets 503, not A's or B's data", async () => {
      const r = await request(s.proxy.url, CMS, D);
      assertEquals(r.status, 503);
      assertEquals(r.body.kind, "Status");
      assertEquals(r.body.reason, "ServiceUnavailable");
      assertEquals(r.body.items, undefined);
    });

    await t.step("offline, same token with another UA gets 503, not B's data", async () => {
      const r = await request(s.proxy.url, CMS, F);
      assertEquals(r.status, 503);
      assertEquals(r.body.items, undefined);
    });

    await t.step("offline gets see only the client's own copy", async () => {
      // cm-3 reached B's copy but not A's: A is told it does not exist, B gets it.
      assertEquals((await request(s.proxy.url, `${CMS}/cm-3`, A)).status, 404);
      const b = await request(s.proxy.url, `${CMS}/cm-3`, B);
      assertEquals(b.status, 200);
      assertEquals(b.body.metadata.name, "cm-3");
      const d = await request(s.proxy.url, `${CMS}/cm-0`, D);
      assertEquals(d.status, 503);
      assertEquals(d.body.kind, "Status");
    });

    await t.step("after a restart offline, the partitions are still apart", async () => {
      const proxy = await s.restart();
      await offline(proxy.url);
      assertEquals((await request(proxy.url, CMS, D)).status, 503);
      assertEquals((await request(proxy.url, CMS, F)).status, 503);
    });
  } finally {
    await s.close();
  }
});

Deno.test("kubeJson clients that differ only in their token are cached apart", async () => {
  // The e2e client helper (kubelet UA, protobuf-first Accept) as two nodes sharing one proxy.
  const s = await startStack();
  try {
    s.sim.store.create("configmaps", makeConfigMap(0));
    const one = await kubeJson(s.proxy.url, CMS, { token: "node-1-token" });
    assertEquals(names(one.body), ["cm-0"]);
    await waitCommitted(s.proxy, 1);
    s.link.setMode("refuse");
    await waitFor(() => !s.proxy.pool.online(), 5000, "the proxy to go offline");
    const again = await kubeJson(s.proxy.url, CMS, { token: "node-1-token" });
    assertEquals(again.status, 200);
    assertEquals(names(again.body), ["cm-0"]);
    const other = await kubeJson(s.proxy.url, CMS, { token: "node-2-token" });
    assertEquals(other.status, 503);
    assertEquals(other.body.items, undefined);
  } finally {
    await s.close();
  }
});
