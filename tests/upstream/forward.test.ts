import {
  clientHeaders,
  dropHopByHop,
  forward,
  UpstreamUnavailableError,
} from "../../src/upstream/forward.ts";
import { UpstreamPool } from "../../src/upstream/upstream_pool.ts";
import { assert, assertEquals, assertMatch, assertRejects } from "../assert.ts";

/** What a test server saw of one request. */
interface Seen {
  method: string;
  path: string;
  search: string;
  headers: Headers;
  body: string;
}

interface TestServer {
  url: string;
  seen: Seen[];
  close(): Promise<void>;
}

/** A loopback HTTP server recording every request; `answer` defaults to 200 "ok". */
function serve(answer?: (req: Request) => Response | Promise<Response>): TestServer {
  const seen: Seen[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const u = new URL(req.url);
    seen.push({
      method: req.method,
      path: u.pathname,
      search: u.search,
      headers: req.headers,
      body: await req.text(),
    });
    return answer ? answer(req) : new Response("ok");
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    seen,
    close: () => server.shutdown(),
  };
}

/** A loopback port nothing listens on: connections are refused at once. */
function refusedUrl(): string {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return `http://127.0.0.1:${port}`;
}

/** A server that accepts connections and never answers: a black-holed link. */
function blackHole(): { url: string; close(): Promise<void> } {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const loop = (async () => {
    try {
      for await (const c of l) conns.push(c);
    } catch {
      // closed
    }
  })();
  return {
    url: `http://127.0.0.1:${(l.addr as Deno.NetAddr).port}`,
    async close() {
      l.close();
      await loop;
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // already closed
        }
      }
    },
  };
}

const LOCAL = "http://127.0.0.1:10261";

function get(path: string, headers?: HeadersInit): [Request, URL] {
  const url = new URL(LOCAL + path);
  return [new Request(url, { headers }), url];
}

Deno.test("dropHopByHop removes hop-by-hop headers and those Connection names", () => {
  const h = dropHopByHop(
    new Headers({
      connection: "X-Trace, keep-alive",
      "keep-alive": "timeout=5",
      "x-trace": "1",
      te: "trailers",
      "transfer-encoding": "chunked",
      upgrade: "websocket",
      "proxy-authorization": "Basic x",
      "content-type": "application/json",
      warning: '299 - "deprecated"',
      "audit-id": "a1",
    }),
  );
  assertEquals([...h.keys()].sort(), ["audit-id", "content-type", "warning"]);
});

Deno.test("clientHeaders keeps end-to-end headers and drops stale length and encoding", () => {
  const upstream = new Headers({
    connection: "x-hop",
    "x-hop": "1",
    "content-type": "application/json",
    "content-encoding": "gzip",
    "content-length": "10",
    warning: '299 - "v1beta1 is deprecated"',
    "audit-id": "a1",
  });
  const same = clientHeaders(upstream, false);
  assertEquals(same.get("content-encoding"), "gzip");
  assertEquals(same.get("content-length"), "10");
  assertEquals(same.get("x-hop"), null);
  const changed = clientHeaders(upstream, true);
  assertEquals([...changed.keys()].sort(), ["audit-id", "content-type", "warning"]);
  assertEquals(upstream.get("x-hop"), "1", "the upstream headers are not modified");
});

Deno.test("forward fails a GET over from a refused port to a live server", async () => {
  const live = serve();
  const pool = new UpstreamPool([refusedUrl(), live.url], {});
  try {
    const [req, url] = get("/api/v1/namespaces/a/pods?limit=500");
    const got = await forward(pool, req, url, { connectTimeoutMs: 1000 });
    assertEquals(await got.response.text(), "ok");
    assertEquals(got.server, pool.servers[1]);
    assertEquals(pool.servers[0].state, "down");
    assertEquals(pool.servers[1].state, "up");
    assertEquals(live.seen.map((s) => s.path + s.search), ["/api/v1/namespaces/a/pods?limit=500"]);
  } finally {
    await live.close();
  }
});

Deno.test("forward does not fail a POST with a body over to another server", async () => {
  const live = serve();
  const refused = refusedUrl();
  const pool = new UpstreamPool([refused, live.url], {});
  try {
    const url = new URL(LOCAL + "/api/v1/namespaces/a/configmaps");
    const req = new Request(url, { method: "POST", body: '{"kind":"ConfigMap"}' });
    const e = await assertRejects(
      () => forward(pool, req, url, { connectTimeoutMs: 1000 }),
      UpstreamUnavailableError,
    );
    assertMatch(e.message, new RegExp(`^No upstream answered \\(${refused}: .+\\)$`));
    assertEquals(live.seen.length, 0);
  } finally {
    await live.close();
  }
});

Deno.test("forward returns an HTTP error as is instead of failing over", async () => {
  const failing = serve(() => new Response("busy", { status: 503 }));
  const live = serve();
  const pool = new UpstreamPool([failing.url, live.url], {});
  try {
    const [req, url] = get("/api/v1/pods");
    const got = await forward(pool, req, url, { connectTimeoutMs: 1000 });
    assertEquals(got.response.status, 503);
    await got.response.body?.cancel();
    assertEquals(got.server, pool.servers[0]);
    assertEquals(live.seen.length, 0);
  } finally {
    await failing.close();
    await live.close();
  }
});

Deno.test("forward passes a client's Authorization unchanged and adds the proxy's when absent", async () => {
  const live = serve();
  const pool = new UpstreamPool([live.url], { token: "proxy-token" });
  try {
    const cases: Record<string, string>[] = [{}, { authorization: "Bearer client-token" }];
    for (const headers of cases) {
      const [req, url] = get("/api/v1/pods", headers);
      await (await forward(pool, req, url, { connectTimeoutMs: 1000 })).response.body?.cancel();
    }
    assertEquals(live.seen.map((s) => s.headers.get("authorization")), [
      "Bearer proxy-token",
      "Bearer client-token",
    ]);
  } finally {
    await live.close();
  }
});

Deno.test("forward sends no Authorization when neither the client nor the proxy has one", async () => {
  const live = serve();
  const pool = new UpstreamPool([live.url], {});
  try {
    const [req, url] = get("/api/v1/pods");
    await (await forward(pool, req, url, { connectTimeoutMs: 1000 })).response.body?.cancel();
    assertEquals(live.seen[0].headers.get("authorization"), null);
  } finally {
    await live.close();
  }
});

Deno.test("forward never lets the request URL change the upstream host", async () => {
  const live = serve();
  const pool = new UpstreamPool([live.url], {});
  try {
    for (const path of ["//evil.example/x?a=1", "/..//evil.example/y", "/%2F%2Fevil.example/z"]) {
      const [req, url] = get(path);
      const got = await forward(pool, req, url, { connectTimeoutMs: 1000 });
      assertEquals(await got.response.text(), "ok");
    }
    assertEquals(live.seen.map((s) => s.path + s.search), [
      "//evil.example/x?a=1",
      "//evil.example/y",
      "/%2F%2Fevil.example/z",
    ]);
    for (const s of live.seen) assertEquals(s.headers.get("host"), new URL(live.url).host);
  } finally {
    await live.close();
  }
});

Deno.test("forward keeps the path prefix of a server URL", async () => {
  const live = serve();
  const pool = new UpstreamPool([live.url + "/k8s/clusters/c-1/"], {});
  try {
    const [req, url] = get("/api/v1/pods?watch=1");
    await (await forward(pool, req, url, { connectTimeoutMs: 1000 })).response.body?.cancel();
    assertEquals(live.seen[0].path + live.seen[0].search, "/k8s/clusters/c-1/api/v1/pods?watch=1");
  } finally {
    await live.close();
  }
});

Deno.test("forward cleans request headers and applies accept and setQuery", async () => {
  const live = serve();
  const pool = new UpstreamPool([live.url], {});
  try {
    const [req, url] = get("/api/v1/pods?limit=5&watch=0", {
      accept: "application/vnd.kubernetes.protobuf",
      "accept-encoding": "identity",
      connection: "x-hop",
      "x-hop": "1",
      "user-agent": "kubelet/v1.31",
    });
    const got = await forward(pool, req, url, {
      connectTimeoutMs: 1000,
      accept: "application/json",
      setQuery: { limit: "500", allowWatchBookmarks: "true" },
    });
    await got.response.body?.cancel();
    const s = live.seen[0];
    assertEquals(s.search, "?limit=500&watch=0&allowWatchBookmarks=true");
    assertEquals(s.headers.get("accept"), "application/json");
    assertEquals(s.headers.get("accept-encoding"), "gzip");
    assertEquals(s.headers.get("x-hop"), null);
    assertEquals(s.headers.get("user-agent"), "kubelet/v1.31");
  } finally {
    await live.close();
  }
});

Deno.test("forward streams a request body to the server", async () => {
  const live = serve(() => new Response("created", { status: 201 }));
  const pool = new UpstreamPool([live.url], {});
  try {
    const url = new URL(LOCAL + "/api/v1/namespaces/a/configmaps");
    const req = new Request(url, {
      method: "POST",
      body: '{"kind":"ConfigMap"}',
      headers: { "content-type": "application/json", "content-length": "20" },
    });
    const got = await forward(pool, req, url, { connectTimeoutMs: 1000 });
    assertEquals(got.response.status, 201);
    await got.response.body?.cancel();
    assertEquals(live.seen[0].method, "POST");
    assertEquals(live.seen[0].body, '{"kind":"ConfigMap"}');
  } finally {
    await live.close();
  }
});

Deno.test("forward abandons a black-holed server after connectTimeoutMs", async () => {
  const hole = blackHole();
  const pool = new UpstreamPool([hole.url], {});
  try {
    const [req, url] = get("/api/v1/pods");
    const start = Date.now();
    const e = await assertRejects(
      () => forward(pool, req, url, { connectTimeoutMs: 100 }),
      UpstreamUnavailableError,
      "no answer within 100 ms",
    );
    const took = Date.now() - start;
    assert(took >= 90 && took < 2000, `took ${took} ms`);
    assertEquals(e.message, `No upstream answered (${hole.url}: no answer within 100 ms)`);
    assertEquals(pool.servers[0].state, "down");
    assertEquals(pool.servers[0].lastError, "no answer within 100 ms");
  } finally {
    await hole.close();
  }
});

Deno.test("forward fails over from a black-holed server to a live one", async () => {
  const hole = blackHole();
  const live = serve();
  const pool = new UpstreamPool([hole.url, live.url], {});
  try {
    const [req, url] = get("/api/v1/pods");
    const got = await forward(pool, req, url, { connectTimeoutMs: 100 });
    assertEquals(await got.response.text(), "ok");
    assertEquals(pool.servers.map((s) => s.state), ["down", "up"]);
  } finally {
    await hole.close();
    await live.close();
  }
});

Deno.test("forward keeps waiting for a slow answer while the server's lastOkAt is fresh", async () => {
  const slow = serve(async () => {
    await new Promise((r) => setTimeout(r, 400));
    return new Response("slow list");
  });
  const pool = new UpstreamPool([slow.url], {});
  // Stands in for probes answering on a live link.
  const fresh = setInterval(() => pool.servers[0].lastOkAt = Date.now(), 20);
  try {
    const [req, url] = get("/api/v1/pods");
    const start = Date.now();
    const got = await forward(pool, req, url, { connectTimeoutMs: 100 });
    assertEquals(await got.response.text(), "slow list");
    assert(Date.now() - start >= 350, "answered before the server did");
    assertEquals(pool.servers[0].state, "up");
  } finally {
    clearInterval(fresh);
    await slow.close();
  }
});

Deno.test("forward gives up on a black hole once the server's answers stop", async () => {
  const hole = blackHole();
  const pool = new UpstreamPool([hole.url], {});
  const fresh = setInterval(() => pool.servers[0].lastOkAt = Date.now(), 20);
  const stop = setTimeout(() => clearInterval(fresh), 300);
  try {
    const [req, url] = get("/api/v1/pods");
    const start = Date.now();
    await assertRejects(
      () => forward(pool, req, url, { connectTimeoutMs: 100 }),
      UpstreamUnavailableError,
      "no answer within 100 ms",
    );
    const took = Date.now() - start;
    assert(took >= 350 && took < 3000, `took ${took} ms`);
  } finally {
    clearInterval(fresh);
    clearTimeout(stop);
    await hole.close();
  }
});

Deno.test("forward rethrows the client's abort and does not mark the server down", async () => {
  const hole = blackHole();
  const pool = new UpstreamPool([hole.url], {});
  const client = new AbortController();
  const t = setTimeout(() => client.abort(new DOMException("client went away", "AbortError")), 50);
  try {
    const [req, url] = get("/api/v1/pods");
    const e = await assertRejects(
      () => forward(pool, req, url, { connectTimeoutMs: 5000, signal: client.signal }),
      DOMException,
      "client went away",
    );
    assertEquals(e.name, "AbortError");
    assertEquals(pool.servers[0].state, "unknown");
  } finally {
    clearTimeout(t);
    await hole.close();
  }
});

Deno.test("forward ends a streamed response when its server is marked down", async () => {
  // A watch that sends one event and then stays open.
  const streaming = serve(() => {
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"type":"ADDED"}\n'));
      },
    });
    return new Response(body);
  });
  const pool = new UpstreamPool([streaming.url], {});
  try {
    const [req, url] = get("/api/v1/pods?watch=1");
    const got = await forward(pool, req, url, { connectTimeoutMs: 1000 });
    const reader = got.response.body!.getReader();
    assertEquals(new TextDecoder().decode((await reader.read()).value), '{"type":"ADDED"}\n');
    pool.markDown(pool.servers[0], "probe timed out");
    await assertRejects(() => reader.read(), Error);
  } finally {
    await streaming.close();
  }
});

Deno.test("UpstreamUnavailableError says when no server is configured", async () => {
  const pool = new UpstreamPool([], {});
  const [req, url] = get("/api/v1/pods");
  const e = await assertRejects(
    () => forward(pool, req, url, { connectTimeoutMs: 100 }),
    UpstreamUnavailableError,
  );
  assertEquals(e.name, "UpstreamUnavailableError");
  assertEquals(e.message, "No upstream is configured");
  assert(e instanceof Error);
});
