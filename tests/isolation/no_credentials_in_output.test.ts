/**
 * @module No token, certificate, key or `Authorization` value appears in the proxy's logs (at
 * debug level), its `/metrics`, or the error messages clients get: the real executable runs with
 * distinctive credentials on both sides, is driven online, through 401s, malformed requests, a
 * failing upstream and offline, and then everything it said is searched for them.
 */
import { assert, assertEquals } from "../assert.ts";
import { makeConfigMap, makeSecret } from "../../src/sim/fixtures.ts";
import { createSimHandler } from "../../src/sim/sim_apiserver.ts";
import { SimStore } from "../../src/sim/sim_store.ts";
import { FaultyLink } from "../../src/sim/faulty_link.ts";
import { waitFor } from "../e2e/harness.ts";
import { deadUrl, rawRequest } from "../e2e/scripted_upstream.ts";
import { makeTestCerts, opensslMissing } from "./_certs.ts";

const ROOT = new URL("../../", import.meta.url);
const CLIENT_TOKEN = "cli3nt-T0KEN-7c41e9b2d5";
const PROXY_TOKEN = "pr0xy-T0KEN-3fa8d61c0e";
const REVOKED_TOKEN = "rev0ked-T0KEN-9b27f4ae13";
const SECRET_PLAIN = "s3cret-VALUE-58d0c2a7";
const CMS = "/api/v1/namespaces/default/configmaps";
const SECRETS = "/api/v1/namespaces/default/secrets";
const KUBELET = "kubelet/v1.32.0 (linux/arm64) kubernetes/abc";

/** Long base64 lines of a PEM: any of them in the output would be a leak of the file. */
function pemLines(pem: string): string[] {
  return pem.split("\n").filter((l) => l.length >= 40 && !l.startsWith("-----"));
}

/** A kube-apiserver stand-in that answers 401 to the revoked token and notes who called. */
function startGate(store: SimStore, closing: AbortSignal) {
  const handle = createSimHandler(store, { signal: closing });
  const seen = new Set<string>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const auth = req.headers.get("authorization") ?? "";
    seen.add(auth);
    if (auth === `Bearer ${REVOKED_TOKEN}`) {
      return Response.json({
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: "Unauthorized",
        reason: "Unauthorized",
        code: 401,
      }, { status: 401 });
    }
    return handle(req);
  });
  return { server, seen };
}

Deno.test("no credential appears in debug logs, /metrics or error messages", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edge-proxy-redact-" });
  const store = new SimStore();
  store.create("configmaps", makeConfigMap(0));
  const secret = makeSecret(0, { name: "db-cred" });
  secret.data = { password: btoa(SECRET_PLAIN) };
  store.create("secrets", secret);
  const closing = new AbortController();
  const gate = startGate(store, closing.signal);
  const link = await FaultyLink.start({ hostname: "127.0.0.1", port: gate.server.addr.port });
  const certs = (await opensslMissing()) === null ? await makeTestCerts() : null;
  if (!certs) console.log("openssl not available: the proxy's kubeconfig carries a token only");
  const keyB64 = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
  await Deno.writeTextFile(`${dir}/cache.key`, keyB64);
  const user: Record<string, string> = { token: PROXY_TOKEN };
  if (certs) {
    user["client-certificate-data"] = btoa(certs.clientCert);
    user["client-key-data"] = btoa(certs.clientKey);
  }
  await Deno.writeTextFile(
    `${dir}/kubeconfig`,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster: { server: link.url } }],
      users: [{ name: "u", user }],
      contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
      "current-context": "x",
    }),
  );
  await Deno.writeTextFile(
    `${dir}/edge.yaml`,
    `logLevel: debug
listen: 127.0.0.1:0
admin: 127.0.0.1:0
upstream:
  servers: [${deadUrl()}, ${link.url}]
  kubeconfig: ${dir}/kubeconfig
  probeIntervalMs: 200
  probeTimeoutMs: 300
  connectTimeoutMs: 500
cache:
  path: ${dir}/cache/cache.kv
  resources: [configmaps, secrets]
  encryptionKeyFile: ${dir}/cache.key
`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "src/main.ts", "--config", `${dir}/edge.yaml`],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let logs = "";
  const pumped = (async () => {
    for await (const t of child.stderr.pipeThrough(new TextDecoderStream())) logs += t;
  })();
  const stdout = new Response(child.stdout).text();
  let answers = ""; // every response body and header a client saw
  let exited = false;
  try {
    await waitFor(() => logs.includes("Serving the Kubernetes API"), 20_000, "the proxy to start");
    const serving = logs.split("\n").map((l) => (l.includes("Serving the") ? JSON.parse(l) : null))
      .find(Boolean);
    const url: string = serving.url;
    const adminUrl: string = serving.adminUrl;

    const call = async (path: string, token: string | null, init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      headers.set("user-agent", KUBELET);
      if (token !== null) headers.set("authorization", `Bearer ${token}`);
      const res = await fetch(`${url}${path}`, { ...init, headers });
      answers += `${res.status} ${[...res.headers].join(" ")}\n${await res.text()}\n`;
      return res.status;
    };
    const raw = async (head: string, body?: string) => {
      try {
        const r = await rawRequest(url, head, { body, timeoutMs: 3000 });
        answers += `${r.status} ${r.headers.join(" ")}\n${new TextDecoder().decode(r.body)}\n`;
        return r.status;
      } catch (e) {
        return (e as Error).message.slice(0, 40); // the server closed on it: nothing said
      }
    };

    // Online, with the client's token, with none (the proxy's own is sent), with a revoked one.
    assertEquals(await call(CMS, CLIENT_TOKEN), 200);
    assertEquals(await call(`${CMS}/cm-0`, CLIENT_TOKEN), 200);
    assertEquals(await call(SECRETS, CLIENT_TOKEN), 200);
    assertEquals(await call(`${SECRETS}/db-cred`, CLIENT_TOKEN), 200);
    assertEquals(await call(`${CMS}?watch=true&timeoutSeconds=1`, CLIENT_TOKEN), 200);
    assertEquals(await call(CMS, null), 200);
    assertEquals(await call(CMS, REVOKED_TOKEN), 401);
    assertEquals(await call(`${SECRETS}/db-cred`, REVOKED_TOKEN), 401);
    const create = {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(makeConfigMap(1)),
    };
    assertEquals(await call(CMS, CLIENT_TOKEN, create), 201);
    // Malformed requests, each carrying the token.
    assertEquals(await call(`${CMS}?labelSelector=a%20in%20(`, CLIENT_TOKEN), 400);
    assertEquals(await call(`${CMS}?fieldSelector=%3D%3D`, CLIENT_TOKEN), 400);
    await call(CMS, CLIENT_TOKEN, { method: "POST", body: "{not json" });
    const auth = `Authorization: Bearer ${CLIENT_TOKEN}`;
    await raw(
      `GET ${CMS} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n${auth}`,
    );
    await raw(`GET /api/v1/namespaces/%2e%2e/secrets HTTP/1.1\r\nHost: x\r\n${auth}`);
    await raw(`GET http://evil.example${CMS} HTTP/1.1\r\nHost: evil.example\r\n${auth}`);
    await raw(`POST ${CMS} HTTP/1.1\r\nHost: x\r\n${auth}\r\nContent-Length: zz`, "{}");
    await raw(`GARBAGE ${CLIENT_TOKEN}\r\n${auth}`);
    await raw(`GET ${CMS} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${CLIENT_TOKEN}\u0001bad`);
    assert(gate.seen.has(`Bearer ${PROXY_TOKEN}`), "the proxy's own token was never used");
    assert(gate.seen.has(`Bearer ${CLIENT_TOKEN}`), "the client's token was never forwarded");

    // The upstream fails: connections reset, then refused; answers come from the cache.
    link.setMode("reset");
    await call(CMS, CLIENT_TOKEN);
    await call(`${SECRETS}/db-cred`, CLIENT_TOKEN);
    link.setMode("refuse");
    await waitFor(
      async () =>
        (await fetch(`${adminUrl}/metrics`).then((r) => r.text()))
          .includes(`server="${link.url}",to="down"`),
      5000,
      "the upstream to be marked down",
    );
    // Offline: cached answers, 503s, refused writes.
    assertEquals(await call(CMS, CLIENT_TOKEN), 200);
    assertEquals(await call(`${SECRETS}/db-cred`, CLIENT_TOKEN), 200);
    assertEquals(await call(CMS, REVOKED_TOKEN), 503);
    assertEquals(await call(CMS, CLIENT_TOKEN, create), 503);
    assertEquals(await call(`${CMS}?watch=true`, CLIENT_TOKEN), 503);
    assertEquals(await call(`${CMS}?labelSelector=%21%21`, CLIENT_TOKEN), 400);
    const metrics = await fetch(`${adminUrl}/metrics`).then((r) => r.text());
    assert(answers.includes(SECRET_PLAIN) || answers.includes(btoa(SECRET_PLAIN)));

    child.kill("SIGTERM");
    const status = await Promise.race([
      child.status,
      new Promise<null>((r) => setTimeout(() => r(null), 10_000)),
    ]);
    exited = status !== null;
    assertEquals(status?.code, 0, logs.slice(-2000));
    await pumped;
    const out = await stdout;

    const lines = logs.split("\n").filter(Boolean);
    assert(lines.length >= 20, `only ${lines.length} log lines: is debug logging on?`);
    assert(logs.includes(`"msg":"GET ${CMS} 401`), "no debug line for the 401");
    assert(logs.includes(`"msg":"GET ${CMS} 200`), "no debug line for a list");
    const needles: [string, string][] = [
      ["the client's token", CLIENT_TOKEN],
      ["the proxy's token", PROXY_TOKEN],
      ["the revoked token", REVOKED_TOKEN],
      ["a bearer credential", "Bearer "],
      ["the cache key", keyB64],
      ...(certs
        ? [...pemLines(certs.clientCert), ...pemLines(certs.clientKey)].map((
          l,
        ): [string, string] => ["the proxy's certificate or key", l])
        : []),
    ];
    const places: [string, string, boolean][] = [
      ["logs", logs + out, true],
      ["/metrics", metrics, true],
      ["responses", answers, false],
    ];
    for (const [where, text, noSecretData] of places) {
      for (const [what, needle] of needles) {
        assert(!text.includes(needle), `${what} appears in ${where}`);
      }
      if (noSecretData) {
        for (const v of [SECRET_PLAIN, btoa(SECRET_PLAIN)]) {
          assert(!text.includes(v), `the secret's value appears in ${where}`);
        }
      }
    }
  } finally {
    if (!exited) {
      try {
        child.kill("SIGKILL");
      } catch {
        // It has exited.
      }
      await child.status;
      await pumped.catch(() => {});
      await stdout.catch(() => {});
    }
    await link.close();
    closing.abort();
    await gate.server.shutdown();
    await Deno.remove(dir, { recursive: true });
    if (certs) await Deno.remove(certs.dir, { recursive: true });
  }
});
