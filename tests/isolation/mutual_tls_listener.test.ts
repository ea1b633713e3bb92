/**
 * @module `listen.tls`: the Kubernetes API listener serves only TLS clients that present a
 * certificate signed by `clientCAFile`; without one, or with a foreign CA's, the handshake fails.
 * Certificates are made with `openssl` at test time; the listener stays on 127.0.0.1 (the block
 * forces TLS on loopback too).
 */
import { assert, assertEquals, assertRejects } from "../assert.ts";
import { makeConfigMap } from "../../src/sim/fixtures.ts";
import { type Stack, startStack } from "../e2e/harness.ts";
import { makeTestCerts, opensslMissing, type TestCerts } from "./_certs.ts";

const missing = await opensslMissing();
if (missing) console.log(`Skipping the mutual TLS tests: ${missing}`);

const CMS = "/api/v1/namespaces/default/configmaps";

async function withTlsStack(fn: (s: Stack, certs: TestCerts) => Promise<void>): Promise<void> {
  const certs = await makeTestCerts();
  const s = await startStack({
    config: `
listen:
  address: 127.0.0.1:0
  tls:
    certFile: ${certs.dir}/server.crt
    keyFile: ${certs.dir}/server.key
    clientCAFile: ${certs.dir}/client-ca.crt
upstream:
  probeIntervalMs: 200
  probeTimeoutMs: 300
  connectTimeoutMs: 500
`,
  });
  try {
    await fn(s, certs);
  } finally {
    await s.close();
    await Deno.remove(certs.dir, { recursive: true });
  }
}

function clientWith(certs: TestCerts, id?: { cert: string; key: string }): Deno.HttpClient {
  return Deno.createHttpClient({ caCerts: [certs.caCert], ...(id ?? {}) });
}

const headers = { "user-agent": "kubelet/v1.32.0", authorization: "Bearer node-token" };

Deno.test({
  name: "listen.tls admits a client whose certificate the client CA signed, lists and watches",
  ignore: missing !== null,
  fn: () =>
    withTlsStack(async (s, certs) => {
      assert(s.proxy.url.startsWith("https://127.0.0.1:"), s.proxy.url);
      s.sim.store.create("configmaps", makeConfigMap(0));
      const client = clientWith(certs, { cert: certs.clientCert, key: certs.clientKey });
      try {
        const res = await fetch(`${s.proxy.url}${CMS}`, { client, headers });
        assertEquals(res.status, 200);
        const list = await res.json();
        assertEquals(list.items.map((i: { metadata: { name: string } }) => i.metadata.name), [
          "cm-0",
        ]);
        // A watch streams through the TLS relay event by event.
        const ac = new AbortController();
        const watch = await fetch(
          `${s.proxy.url}${CMS}?watch=true&resourceVersion=${list.metadata.resourceVersion}`,
          { client, headers, signal: ac.signal },
        );
        assertEquals(watch.status, 200);
        s.sim.store.create("configmaps", makeConfigMap(1));
        const reader = watch.body!.pipeThrough(new TextDecoderStream()).getReader();
        let text = "";
        for (let i = 0; i < 20 && !text.includes("\n"); i++) {
          const { value, done } = await reader.read();
          if (done) break;
          text += value;
        }
        assertEquals(JSON.parse(text.split("\n")[0]).object.metadata.name, "cm-1");
        ac.abort();
        await reader.cancel().catch(() => {});
        // Shutdown ends a watch still open through the relay, promptly.
        const open = await fetch(`${s.proxy.url}${CMS}?watch=true`, { client, headers });
        assertEquals(open.status, 200);
        const t0 = Date.now();
        await s.proxy.close();
        assert(Date.now() - t0 < 5000, `close took ${Date.now() - t0} ms`);
        await open.body?.cancel().catch(() => {});
      } finally {
        client.close();
      }
    }),
});

Deno.test({
  name: "listen.tls refuses a client without a certificate, with a foreign CA's, and plain HTTP",
  ignore: missing !== null,
  fn: () =>
    withTlsStack(async (s, certs) => {
      for (
        const [what, id] of [
          ["no certificate", undefined],
          ["a foreign CA's certificate", { cert: certs.foreignCert, key: certs.foreignKey }],
        ] as const
      ) {
        const client = clientWith(certs, id);
        try {
          const answered = await fetch(`${s.proxy.url}${CMS}`, {
            client,
            headers,
            signal: AbortSignal.timeout(5000),
          }).then((r) => r.body?.cancel().then(() => r.status), (e: Error) => e);
          assert(answered instanceof TypeError, `a client with ${what} got ${answered}`);
        } finally {
          client.close();
        }
      }
      const plain = s.proxy.url.replace("https://", "http://");
      await assertRejects(
        async () => {
          const res = await fetch(`${plain}${CMS}`, { headers, signal: AbortSignal.timeout(5000) });
          await res.body?.cancel();
        },
        Error,
      );
      // The listener still serves a good client after the refusals.
      const good = clientWith(certs, { cert: certs.clientCert, key: certs.clientKey });
      try {
        const res = await fetch(`${s.proxy.url}${CMS}`, { client: good, headers });
        assertEquals(res.status, 200);
        await res.body?.cancel();
      } finally {
        good.close();
      }
    }),
});
