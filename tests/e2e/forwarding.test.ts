/**
 * @module Faithful forwarding through the running proxy (issue 2, point 5): requests and
 * responses pass unchanged but for hop-by-hop headers, bodies stream both ways, watches are not
 * batched, and every failure of the proxy's own is a Kubernetes `Status`.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { metric, startStack, waitFor } from "./harness.ts";
import { kubeFetch, kubeJson } from "./kube_client.ts";
import {
  deadUrl,
  rawHeader,
  rawRequest,
  startProxy,
  startRawUpstream,
  startUpstream,
} from "./scripted_upstream.ts";

/** No rules and no cache: nothing but forwarding between the client and the upstream. */
const PLAIN = "cache:\n  enabled: false\n";

interface Echo {
  method: string;
  path: string;
  search: string;
  body: string;
  headers: Record<string, string>;
}

async function echo(req: Request): Promise<Response> {
  const u = new URL(req.url);
  const e: Echo = {
    method: req.method,
    path: u.pathname,
    search: u.search,
    body: await req.text(),
    headers: Object.fromEntries(req.headers),
  };
  return Response.json(e);
}

async function assertStatus(res: Response, code: number, reason: string): Promise<void> {
  const text = await res.text();
  assertEquals(res.status, code, text);
  assertMatch(res.headers.get("content-type") ?? "", /^application\/json/);
  let s;
  try {
    s = JSON.parse(text);
  } catch {
    throw new Error(`Not a Status (${res.status}): ${text.slice(0, 200)}`);
  }
  assertEquals([s.kind, s.apiVersion, s.status, s.reason, s.code], [
    "Status",
    "v1",
    "Failure",
    reason,
    code,
  ]);
}

Deno.test("the proxy forwards any method, path, query and body to the upstream unchanged", async (t) => {
  const up = startUpstream(echo);
  const p = await startProxy([up.url], PLAIN);
  try {
    const cases: [string, string, string | undefined, string][] = [
      [
        "GET",
        "/api/v1/namespaces/default/secrets?labelSelector=app%3Dweb%2Ctier+notin+%28db%29&fieldSelector=metadata.name%21%3Dx&limit=5&x=1&x=2",
        undefined,
        "",
      ],
      ["GET", "/api/v1/namespaces/default/secrets/a%2Fb%20c", undefined, ""],
      ["GET", "/version?timeout=32s", undefined, ""],
      [
        "POST",
        "/api/v1/namespaces/default/secrets?dryRun=All&fieldManager=kubectl",
        "application/json",
        '{"kind":"Secret","metadata":{"name":"s"},"data":{"k":"dg=="}}',
      ],
      [
        "PUT",
        "/api/v1/namespaces/default/secrets/s",
        "application/json",
        '{"metadata":{"name":"s","resourceVersion":"7"}}',
      ],
      [
        "PATCH",
        "/api/v1/namespaces/default/secrets/s",
        "application/strategic-merge-patch+json",
        '{"metadata":{"labels":{"a":"b"}}}',
      ],
      [
        "DELETE",
        "/api/v1/namespaces/default/secrets/s",
        "application/json",
        '{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Background"}',
      ],
      [
        "POST",
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        "application/json",
        '{"spec":{"resourceAttributes":{"verb":"list","resource":"pods"}}}\n  \u00e9\u4e2d',
      ],
      ["OPTIONS", "/api/v1/namespaces/default/secrets", undefined, ""],
    ];
    for (const [method, path, contentType, body] of cases) {
      await t.step(`${method} ${path}`, async () => {
        const headers: Record<string, string> = { "x-request-tag": `${method}-tag` };
        if (contentType) headers["content-type"] = contentType;
        const res = await fetch(`${p.proxy.url}${path}`, {
          method,
          headers,
          body: body === "" ? undefined : body,
        });
        assertEquals(res.status, 200);
        const got: Echo = await res.json();
        const sent = new URL(path, "http://x");
        assertEquals(got.method, method);
        assertEquals(got.path, sent.pathname);
        assertEquals(got.search, sent.search);
        assertEquals(got.body, body);
        assertEquals(got.headers["content-type"], contentType);
        assertEquals(got.headers["x-request-tag"], `${method}-tag`);
      });
    }
  } finally {
    await p.close();
    await up.close();
  }
});

Deno.test("the client gets the upstream's status and end-to-end headers, and no hop-by-hop header crosses the proxy either way", async () => {
  const body = '{"kind":"Status","apiVersion":"v1","status":"Failure","code":422}';
  const up = startRawUpstream(() =>
    [
      "HTTP/1.1 422 Unprocessable Entity",
      "Content-Type: application/json",
      'Warning: 299 - "spec.foo is deprecated"',
      "Audit-Id: 8f1c7a4e-1111-2222-3333-444455556666",
      "X-Custom-End: kept",
      "Connection: close, X-Upstream-Hop",
      "X-Upstream-Hop: must-not-cross",
      "Keep-Alive: timeout=5",
      "Proxy-Authenticate: Basic",
      "Trailer: X-Trailer",
      `Content-Length: ${body.length}`,
      "",
      body,
    ].join("\r\n")
  );
  const p = await startProxy([up.url], PLAIN);
  try {
    const res = await rawRequest(
      p.proxy.url,
      [
        "PUT /api/v1/namespaces/default/secrets/s HTTP/1.1",
        "Host: edge",
        "Connection: close, X-Client-Hop",
        "X-Client-Hop: must-not-cross",
        "Keep-Alive: timeout=9",
        "TE: trailers",
        "Proxy-Authorization: Basic c2VjcmV0",
        "Proxy-Connection: keep-alive",
        "X-End-To-End: yes",
        "Content-Type: application/json",
        "Content-Length: 2",
      ].join("\r\n"),
      { body: "{}" },
    );
    assertEquals(res.status, 422);
    assertEquals(new TextDecoder().decode(res.body), body);
    assertEquals(rawHeader(res, "content-type"), "application/json");
    assertEquals(rawHeader(res, "warning"), '299 - "spec.foo is deprecated"');
    assertEquals(rawHeader(res, "audit-id"), "8f1c7a4e-1111-2222-3333-444455556666");
    assertEquals(rawHeader(res, "x-custom-end"), "kept");
    for (const h of ["x-upstream-hop", "keep-alive", "proxy-authenticate", "trailer"]) {
      assertEquals(rawHeader(res, h), undefined, `response header ${h}`);
    }
    assertEquals(up.heads.length, 1);
    const sent = up.heads[0].toLowerCase();
    assertMatch(sent, /^put \/api\/v1\/namespaces\/default\/secrets\/s http\/1\.1\r\n/);
    assertMatch(sent, /\r\nx-end-to-end: yes\r\n/);
    for (
      const h of ["x-client-hop", "keep-alive", "te", "proxy-authorization", "proxy-connection"]
    ) {
      assert(!sent.includes(`\r\n${h}:`), `request header ${h} crossed the proxy:\n${sent}`);
    }
  } finally {
    await p.close();
    await up.close();
  }
});

Deno.test("a gzip upstream body reaches the client decoded, without a stale Content-Encoding or Content-Length", async (t) => {
  const items = Array.from({ length: 300 }, (_, i) => ({
    metadata: { name: i % 2 ? `skip-${i}` : `keep-${i}`, namespace: "default" },
    data: { v: "x".repeat(500) },
  }));
  const list = JSON.stringify({
    kind: "ConfigMapList",
    apiVersion: "v1",
    metadata: { resourceVersion: "9" },
    items,
  });
  const gz = new Uint8Array(
    await new Response(new Blob([list]).stream().pipeThrough(new CompressionStream("gzip")))
      .arrayBuffer(),
  );
  const up = startUpstream(() =>
    new Response(gz, {
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
    })
  );
  // configmaps are filtered (the body is rewritten); secrets pass through as the upstream sent.
  const p = await startProxy(
    [up.url],
    'filters:\n  - resources: [configmaps]\n    drop:\n      namePrefix: "skip-"\n',
  );
  try {
    for (const [resource, kept] of [["secrets", 300], ["configmaps", 150]] as const) {
      await t.step(resource, async () => {
        const res = await rawRequest(
          p.proxy.url,
          `GET /api/v1/namespaces/default/${resource} HTTP/1.1\r\nHost: edge\r\nAccept: application/json\r\nAccept-Encoding: identity`,
        );
        assertEquals(res.status, 200);
        assertEquals(rawHeader(res, "content-encoding"), undefined);
        const len = rawHeader(res, "content-length");
        if (len !== undefined) assertEquals(Number(len), res.body.length);
        else assert(res.chunked, "neither a length nor chunked framing");
        const got = JSON.parse(new TextDecoder().decode(res.body));
        assertEquals(got.items.length, kept);
        assertEquals(got.metadata.resourceVersion, "9");
      });
    }
  } finally {
    await p.close();
    await up.close();
  }
});

Deno.test("the client's Authorization goes upstream unchanged; the proxy's token is added only when there is none", async () => {
  const up = startUpstream(echo);
  const p = await startProxy([up.url], `${PLAIN}upstream:\n  token: proxy-token\n`);
  try {
    const auth = async (h?: string) => {
      const res = await fetch(`${p.proxy.url}/api/v1/namespaces/default/secrets`, {
        headers: h ? { authorization: h } : {},
      });
      return ((await res.json()) as Echo).headers.authorization;
    };
    assertEquals(
      await auth("Bearer pod-service-account-token"),
      "Bearer pod-service-account-token",
    );
    assertEquals(await auth("Basic dXNlcjpwdw=="), "Basic dXNlcjpwdw==");
    assertEquals(await auth(), "Bearer proxy-token");
  } finally {
    await p.close();
    await up.close();
  }
});

Deno.test("a 20 MB request body streams through the proxy instead of being buffered", async () => {
  const CHUNK = 64 * 1024;
  const TOTAL = 20 * 1024 * 1024;
  const WINDOW = 1024 * 1024;
  let received = 0;
  let progress = Promise.withResolvers<void>();
  const up = startUpstream(async (req) => {
    for await (const c of req.body!) {
      received += c.length;
      progress.resolve();
      progress = Promise.withResolvers<void>();
    }
    return Response.json({ received });
  });
  const p = await startProxy([up.url], PLAIN);
  try {
    let sent = 0;
    const chunk = new Uint8Array(CHUNK).fill(97);
    // The client sends a chunk only while at most 1 MB is in flight between it and the
    // upstream: a proxy that held the body (or any large part of it) before forwarding would
    // never see the rest, and the request would time out. This proves the bound directly; the
    // process's RSS would not, as client, proxy and upstream share it and their garbage.
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (sent >= TOTAL) return c.close();
        while (sent - received > WINDOW) await progress.promise;
        c.enqueue(chunk.slice());
        sent += CHUNK;
      },
    }, { highWaterMark: 0 });
    const res = await fetch(`${p.proxy.url}/api/v1/namespaces/default/secrets`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body,
      signal: AbortSignal.timeout(15_000),
    });
    assertEquals(res.status, 200);
    assertEquals(await res.json(), { received: TOTAL });
  } finally {
    await p.close();
    await up.close();
  }
});

Deno.test("a watch event reaches the client promptly, one by one, filtered or not", async (t) => {
  const s = await startStack();
  try {
    for (const resource of ["configmaps", "secrets", "services"]) {
      await t.step(resource, async () => {
        const ctl = new AbortController();
        const before = s.sim.store.watcherCount;
        const res = await kubeFetch(
          s.proxy.url,
          `/api/v1/namespaces/default/${resource}?watch=true`,
          { signal: ctl.signal },
        );
        assertEquals(res.status, 200);
        const lines = res.body!.pipeThrough(new TextDecoderStream()).getReader();
        let buf = "";
        const next = async (): Promise<string> => {
          for (;;) {
            const nl = buf.indexOf("\n");
            if (nl >= 0) {
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + 1);
              return line;
            }
            const { value, done } = await lines.read();
            if (done) throw new Error("watch ended");
            buf += value;
          }
        };
        try {
          await waitFor(() => s.sim.store.watcherCount > before, 2000, "the upstream watch");
          for (let i = 0; i < 3; i++) {
            const name = `prompt-${resource}-${i}`;
            const t0 = performance.now();
            s.sim.store.create(resource, { metadata: { name, namespace: "default" } });
            const ev = JSON.parse(await next());
            const ms = performance.now() - t0;
            assertEquals([ev.type, ev.object.metadata.name], ["ADDED", name]);
            assert(ms < 200, `event ${i} took ${ms.toFixed(0)} ms`);
            await new Promise((r) => setTimeout(r, 30));
          }
        } finally {
          ctl.abort();
          await lines.cancel().catch(() => {});
          await waitFor(() => s.sim.store.watcherCount === before, 2000, "the watch to end");
        }
      });
    }
  } finally {
    await s.close();
  }
});

Deno.test("a client that disconnects mid-watch ends the upstream watch and the proxy's count of it", async (t) => {
  const s = await startStack();
  try {
    for (const resource of ["configmaps", "secrets", "pods"]) {
      await t.step(resource, async () => {
        const before = s.sim.store.watcherCount;
        const ctl = new AbortController();
        const res = await kubeFetch(
          s.proxy.url,
          `/api/v1/namespaces/default/${resource}?watch=1`,
          { signal: ctl.signal },
        );
        assertEquals(res.status, 200);
        const reader = res.body!.getReader();
        const pending = reader.read().catch(() => {});
        try {
          await waitFor(() => s.sim.store.watcherCount === before + 1, 2000, "the upstream watch");
          assertEquals(metric(s.proxy, "edge_proxy_open_watches"), 1);
        } finally {
          ctl.abort();
          await pending;
        }
        await waitFor(() => s.sim.store.watcherCount === before, 2000, "the upstream watch to end");
        await waitFor(
          () => metric(s.proxy, "edge_proxy_open_watches") === 0,
          2000,
          "open watches back to 0",
        );
      });
    }
  } finally {
    await s.close();
  }
});

Deno.test("an unreachable upstream gives a 503 ServiceUnavailable Status, never text", async (t) => {
  await t.step("nothing listens, no cache", async () => {
    const p = await startProxy([deadUrl()], PLAIN);
    try {
      for (
        const [method, path] of [
          ["GET", "/api/v1/namespaces/default/configmaps"],
          ["GET", "/api/v1/namespaces/default/pods/p?watch=true"],
          ["GET", "/version"],
          ["POST", "/api/v1/namespaces/default/configmaps"],
        ]
      ) {
        const res = await kubeFetch(p.proxy.url, path, {
          method,
          body: method === "POST" ? { metadata: { name: "x" } } : undefined,
        });
        await assertStatus(res, 503, "ServiceUnavailable");
      }
    } finally {
      await p.close();
    }
  });
  await t.step("nothing listens, empty cache", async () => {
    const p = await startProxy([deadUrl()]);
    try {
      const res = await kubeFetch(p.proxy.url, "/api/v1/namespaces/default/configmaps");
      await assertStatus(res, 503, "ServiceUnavailable");
    } finally {
      await p.close();
    }
  });
  for (const mode of ["refuse", "blackhole", "reset"] as const) {
    await t.step(`the link fails (${mode}), no cache`, async () => {
      const s = await startStack({
        config: "upstream:\n  connectTimeoutMs: 300\ncache:\n  enabled: false\n",
      });
      try {
        const ok = await kubeFetch(s.proxy.url, "/api/v1/namespaces/default/configmaps");
        assertEquals(ok.status, 200);
        await ok.body?.cancel();
        s.link.setMode(mode);
        for (const path of ["/api/v1/namespaces/default/configmaps", "/api"]) {
          await assertStatus(await kubeFetch(s.proxy.url, path), 503, "ServiceUnavailable");
        }
      } finally {
        await s.close();
      }
    });
  }
});

Deno.test("an Upgrade request (exec, port-forward) gets a 501 NotImplemented Status", async () => {
  const up = startUpstream(echo);
  const p = await startProxy([up.url], PLAIN);
  try {
    for (const upgrade of ["SPDY/3.1", "websocket"]) {
      const res = await rawRequest(
        p.proxy.url,
        [
          "POST /api/v1/namespaces/default/pods/p/exec?command=sh&stdin=true&tty=true HTTP/1.1",
          "Host: edge",
          "Connection: Upgrade",
          `Upgrade: ${upgrade}`,
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
          "Sec-WebSocket-Version: 13",
          "X-Stream-Protocol-Version: v4.channel.k8s.io",
        ].join("\r\n"),
      );
      assertEquals(res.status, 501);
      assertMatch(rawHeader(res, "content-type") ?? "", /^application\/json/);
      const s = JSON.parse(new TextDecoder().decode(res.body));
      assertEquals([s.kind, s.reason, s.code], ["Status", "NotImplemented", 501]);
    }
  } finally {
    await p.close();
    await up.close();
  }
});

Deno.test("a malformed path, an unknown resource and a body that is not JSON get the apiserver's Status", async (t) => {
  const s = await startStack();
  try {
    const cases: [string, string, string, unknown, number, string][] = [
      ["malformed path", "GET", "/api/v1/namespaces//configmaps/x/y/z", undefined, 404, "NotFound"],
      [
        "bad escape",
        "GET",
        "/api/v1/namespaces/default/configmaps/%zz",
        undefined,
        404,
        "NotFound",
      ],
      ["unknown resource", "GET", "/api/v1/namespaces/default/widgets", undefined, 404, "NotFound"],
      [
        "unknown group",
        "GET",
        "/apis/example.com/v1/widgets?watch=true",
        undefined,
        404,
        "NotFound",
      ],
      [
        "unknown group, filtered name",
        "GET",
        "/apis/example.com/v1/configmaps",
        undefined,
        404,
        "NotFound",
      ],
      [
        "bad limit",
        "GET",
        "/api/v1/namespaces/default/configmaps?limit=-1",
        undefined,
        400,
        "BadRequest",
      ],
      [
        "body not JSON",
        "POST",
        "/api/v1/namespaces/default/configmaps",
        "{not json",
        400,
        "BadRequest",
      ],
    ];
    for (const [name, method, path, body, code, reason] of cases) {
      await t.step(name, async () => {
        const res = await fetch(`${s.proxy.url}${path}`, {
          method,
          headers: { "content-type": "application/json", accept: "application/json" },
          body: body as string | undefined,
        });
        await assertStatus(res, code, reason);
      });
    }
  } finally {
    await s.close();
  }
});

Deno.test("with the first upstream refusing connections, requests succeed through the second", async () => {
  const s = await startStack();
  const dead = deadUrl();
  const p = await startProxy([dead, s.link.url]);
  try {
    // Right away: the first server is tried (state unknown), refused, and the second answers.
    for (let i = 0; i < 3; i++) {
      const r = await kubeJson(p.proxy.url, "/api/v1/namespaces/default/configmaps");
      assertEquals(r.status, 200, JSON.stringify(r.body));
    }
    await waitFor(() => p.proxy.pool.servers[0].state === "down", 3000, "first server down");
    const created = await kubeFetch(p.proxy.url, "/api/v1/namespaces/default/configmaps", {
      method: "POST",
      body: { metadata: { name: "via-second" } },
    });
    assertEquals(created.status, 201, await created.text());
    assert(s.sim.store.getEntry("configmaps", "default", "via-second"), "created on the sim");
    const states = await (await fetch(`${p.proxy.adminUrl}/metrics`)).text();
    assertMatch(
      states,
      new RegExp(`edge_proxy_upstream_state\\{server="${dead}",state="down"\\} 1`),
    );
    assertMatch(
      states,
      new RegExp(`edge_proxy_upstream_state\\{server="${s.link.url}",state="up"\\} 1`),
    );
  } finally {
    await p.close();
    await s.close();
  }
});

Deno.test("the admin listener answers /healthz, /readyz and /metrics with the proxy's series", async () => {
  const s = await startStack();
  try {
    const list = await kubeFetch(s.proxy.url, "/api/v1/namespaces/default/configmaps");
    await list.body?.cancel();
    const plain = await kubeFetch(s.proxy.url, "/api/v1/namespaces/default/secrets");
    await plain.text();
    const ctl = new AbortController();
    const watch = await kubeFetch(s.proxy.url, "/api/v1/namespaces/default/secrets?watch=true", {
      signal: ctl.signal,
    });
    const pending = watch.body!.getReader().read().catch(() => {});
    try {
      for (const path of ["/healthz", "/readyz"]) {
        const r = await fetch(`${s.proxy.adminUrl}${path}`);
        assertEquals([r.status, await r.text()], [200, "ok"], path);
      }
      const m = await fetch(`${s.proxy.adminUrl}/metrics`);
      assertEquals(m.status, 200);
      assertMatch(m.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
      const text = await m.text();
      for (
        const re of [
          /^edge_proxy_requests_total\{code="200",resource="configmaps",source="upstream",verb="list"\} 1$/m,
          /^edge_proxy_requests_total\{code="200",resource="secrets",source="upstream",verb="list"\} 1$/m,
          /^# TYPE edge_proxy_upstream_latency_seconds histogram$/m,
          /^edge_proxy_upstream_latency_seconds_count\{[^}]*verb="list"[^}]*\} \d+$/m,
          /^edge_proxy_bytes_out_total [1-9]\d*$/m,
          /^edge_proxy_open_watches 1$/m,
          new RegExp(`^edge_proxy_upstream_state\\{server="${s.link.url}",state="up"\\} 1$`, "m"),
        ]
      ) assertMatch(text, re);
    } finally {
      ctl.abort();
      await pending;
    }
  } finally {
    await s.close();
  }
});
