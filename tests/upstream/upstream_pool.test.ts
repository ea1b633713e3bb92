import {
  type ServerState,
  UpstreamPool,
  type UpstreamServer,
} from "../../src/upstream/upstream_pool.ts";
import { assert, assertEquals } from "../assert.ts";

function serve(
  answer: (req: Request) => Response | Promise<Response>,
): { url: string; close(): Promise<void> } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, answer);
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

function refusedUrl(): string {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return `http://127.0.0.1:${port}`;
}

const urls = ["http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3"];

Deno.test("UpstreamPool.candidates orders up, then unknown, then down, stable within each", () => {
  const pool = new UpstreamPool([...urls, "http://127.0.0.1:4"], {});
  const [a, b, c, d] = pool.servers;
  assertEquals(pool.candidates(), [a, b, c, d]);
  a.state = "down";
  c.state = "up";
  d.state = "up";
  assertEquals(pool.candidates(), [c, d, b, a]);
  assertEquals(pool.servers, [a, b, c, d], "the configured order is kept");
});

Deno.test("UpstreamPool.online is false only when every server is down", () => {
  const pool = new UpstreamPool(urls, {});
  assertEquals(pool.online(), true);
  for (const s of pool.servers) pool.markDown(s, "refused");
  assertEquals(pool.online(), false);
  pool.markUp(pool.servers[1]);
  assertEquals(pool.online(), true);
  assertEquals(new UpstreamPool([], {}).online(), false);
});

Deno.test("UpstreamPool.markDown aborts the old down signal and installs a fresh one", () => {
  const changes: [string, ServerState, ServerState, string][] = [];
  const pool = new UpstreamPool(urls, {}, {
    onStateChange: (s, from, reason) => changes.push([s.url.origin, from, s.state, reason]),
  });
  let notified = 0;
  const unsubscribe = pool.subscribe(() => notified++);
  const s = pool.servers[0];
  const old = s.down;
  pool.markDown(s, "connection refused");
  assertEquals(old.signal.aborted, true);
  assertEquals(
    (old.signal.reason as Error).message,
    "upstream http://127.0.0.1:1 is down: connection refused",
  );
  assert(s.down !== old, "a fresh controller is installed");
  assertEquals(s.down.signal.aborted, false);
  assertEquals([s.state, s.lastError], ["down", "connection refused"]);

  // Already down: the error is recorded, but streams opened since are not aborted again.
  const fresh = s.down;
  pool.markDown(s, "probe timed out");
  assertEquals(s.down, fresh);
  assertEquals(fresh.signal.aborted, false);
  assertEquals(s.lastError, "probe timed out");

  assertEquals(changes, [["http://127.0.0.1:1", "unknown", "down", "connection refused"]]);
  assertEquals(notified, 1);
  unsubscribe();
  pool.markUp(s);
  assertEquals(notified, 1, "unsubscribed");
  assertEquals(changes.at(-1), ["http://127.0.0.1:1", "down", "up", "answered"]);
});

Deno.test("UpstreamPool.markUp records lastOkAt from the injected clock", () => {
  let now = 1000;
  const pool = new UpstreamPool(urls, {}, { now: () => now });
  const s: UpstreamServer = pool.servers[2];
  pool.markUp(s);
  assertEquals([s.state, s.lastOkAt], ["up", 1000]);
  now = 2500;
  pool.markUp(s);
  assertEquals(s.lastOkAt, 2500);
});

Deno.test("UpstreamPool.authorization uses the token, or re-reads the token file", async () => {
  assertEquals(await new UpstreamPool([], {}).authorization(), undefined);
  assertEquals(await new UpstreamPool([], { token: "t1" }).authorization(), "Bearer t1");
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/token`;
    await Deno.writeTextFile(file, "rotated-1\n");
    const pool = new UpstreamPool([], { token: "ignored", tokenFile: file });
    assertEquals(await pool.authorization(), "Bearer rotated-1");
    await Deno.writeTextFile(file, "rotated-2");
    assertEquals(await pool.authorization(), "Bearer rotated-2");
    await Deno.remove(file);
    assertEquals(await pool.authorization(), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("UpstreamPool.probe marks a server up on an answer below 500", async () => {
  const seen: string[] = [];
  const server = serve((req) => {
    seen.push(`${new URL(req.url).pathname} ${req.headers.get("authorization")}`);
    return new Response("ok");
  });
  const pool = new UpstreamPool([server.url + "/prefix"], { token: "t" }, { probePath: "/livez" });
  try {
    assertEquals(await pool.probe(pool.servers[0]), true);
    assertEquals(pool.servers[0].state, "up");
    assert(pool.servers[0].lastOkAt > 0);
    assertEquals(seen, ["/prefix/livez Bearer t"]);
  } finally {
    await server.close();
  }
});

Deno.test("UpstreamPool.probe treats 401 as up and 503 as down", async () => {
  let status = 401;
  const server = serve(() => new Response("x", { status }));
  const pool = new UpstreamPool([server.url], {});
  try {
    assertEquals(await pool.probe(pool.servers[0]), true);
    status = 503;
    assertEquals(await pool.probe(pool.servers[0]), false);
    assertEquals([pool.servers[0].state, pool.servers[0].lastError], [
      "down",
      "probe answered 503",
    ]);
  } finally {
    await server.close();
  }
});

Deno.test("UpstreamPool.probe marks a refused port down", async () => {
  const pool = new UpstreamPool([refusedUrl()], {});
  assertEquals(await pool.probe(pool.servers[0]), false);
  assertEquals(pool.servers[0].state, "down");
  assert(pool.servers[0].lastError.startsWith("probe failed: "), pool.servers[0].lastError);
});

Deno.test("UpstreamPool.probe marks a silent server down after probeTimeoutMs", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const accepting = (async () => {
    try {
      for await (const c of l) conns.push(c);
    } catch {
      // closed
    }
  })();
  const pool = new UpstreamPool([`http://127.0.0.1:${(l.addr as Deno.NetAddr).port}`], {}, {
    probeTimeoutMs: 100,
  });
  try {
    assertEquals(await pool.probe(pool.servers[0]), false);
    assertEquals([pool.servers[0].state, pool.servers[0].lastError], ["down", "probe timed out"]);
  } finally {
    l.close();
    await accepting;
    for (const c of conns) c.close();
  }
});

Deno.test("UpstreamPool.stop waits for the probe in flight", async () => {
  let answered = false;
  const server = serve(async () => {
    await new Promise((r) => setTimeout(r, 200));
    answered = true;
    return new Response("ok");
  });
  const pool = new UpstreamPool([server.url], {}, { probeIntervalMs: 60_000 });
  try {
    pool.start();
    pool.start(); // a second start is a no-op: no second timer leaks
    await new Promise((r) => setTimeout(r, 20));
    assertEquals(pool.servers[0].state, "unknown");
    await pool.stop();
    assertEquals(answered, true);
    assertEquals(pool.servers[0].state, "up");
    await pool.stop(); // idempotent
  } finally {
    await server.close();
  }
});

Deno.test("UpstreamPool.start probes every interval without stacking rounds", async () => {
  let probes = 0;
  const server = serve(() => {
    probes++;
    return new Response("ok");
  });
  const pool = new UpstreamPool([server.url], {}, { probeIntervalMs: 30 });
  try {
    pool.start();
    await new Promise((r) => setTimeout(r, 200));
    await pool.stop();
    assert(probes >= 3 && probes <= 9, `${probes} probes`);
  } finally {
    await server.close();
  }
});
