/**
 * @module Hand-made upstreams and raw HTTP/1.1 for the end-to-end tests: an apiserver stand-in
 * that answers however a test says (echo, gzip, broken bodies), a raw TCP one whose response
 * headers nothing rewrites, a raw client whose request headers nothing rewrites, and edge-proxy
 * started in front of any of them.
 */
import { parseConfig, withOverrides } from "../../src/config.ts";
import { type EdgeProxy, startEdgeProxy } from "../../src/edge_proxy.ts";

/** A running stand-in apiserver. */
export interface ScriptedUpstream {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `handler` on 127.0.0.1; the proxy's `/readyz` probes get 200 without reaching it.
 * Open response streams are cancelled on close, so a test never waits on its own watch.
 */
export function startUpstream(
  handler: (req: Request) => Response | Promise<Response>,
): ScriptedUpstream {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    if (new URL(req.url).pathname === "/readyz") return new Response("ok");
    return handler(req);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    close: () => server.shutdown(),
  };
}

/** A raw TCP upstream: one request per connection, answered with exactly the bytes given. */
export interface RawUpstream extends ScriptedUpstream {
  /** The request heads received (probes excluded), as sent on the wire. */
  heads: string[];
}

const enc = new TextEncoder();
const dec = new TextDecoder();

async function readHead(conn: Deno.Conn): Promise<string> {
  const buf = new Uint8Array(64 * 1024);
  let got = "";
  while (!got.includes("\r\n\r\n")) {
    const n = await conn.read(buf);
    if (n === null) break;
    got += dec.decode(buf.subarray(0, n));
  }
  return got.slice(0, got.indexOf("\r\n\r\n") + 2);
}

/** Starts a raw upstream whose every non-probe answer is `answer(head)`, then a close. */
export function startRawUpstream(answer: (head: string) => string): RawUpstream {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const heads: string[] = [];
  const tasks = new Set<Promise<void>>();
  const serve = async (conn: Deno.Conn) => {
    try {
      const head = await readHead(conn);
      const probe = head.startsWith("GET /readyz ");
      if (!probe) heads.push(head);
      const out = probe
        ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
        : answer(head);
      await conn.write(enc.encode(out));
    } catch {
      // The proxy went away first; nothing to answer.
    } finally {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
  };
  const loop = (async () => {
    for await (const conn of listener) {
      const t = serve(conn);
      tasks.add(t);
      t.finally(() => tasks.delete(t));
    }
  })().catch(() => {});
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    heads,
    async close() {
      listener.close();
      await loop;
      await Promise.allSettled([...tasks]);
    },
  };
}

/** A response read off the wire by {@linkcode rawRequest}. */
export interface RawResponse {
  status: number;
  /** Header lines as received, names lower-cased. */
  headers: [string, string][];
  body: Uint8Array;
  /** True when the body was sent with chunked framing. */
  chunked: boolean;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) out.set(p, off), off += p.length;
  return out;
}

function indexOfCrlf(b: Uint8Array, from: number): number {
  for (let i = from; i + 1 < b.length; i++) if (b[i] === 13 && b[i + 1] === 10) return i;
  return -1;
}

function dechunk(b: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let off = 0;
  for (;;) {
    const eol = indexOfCrlf(b, off);
    if (eol < 0) throw new Error("Truncated chunked body");
    const size = parseInt(dec.decode(b.subarray(off, eol)).split(";")[0], 16);
    if (size === 0) return concat(parts);
    parts.push(b.subarray(eol + 2, eol + 2 + size));
    off = eol + 2 + size + 2;
  }
}

function complete(all: Uint8Array): boolean {
  const text = dec.decode(all);
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return false;
  const head = text.slice(0, end).toLowerCase();
  const len = /\r\ncontent-length: *(\d+)/.exec(head);
  if (len) return all.length - end - 4 >= Number(len[1]);
  if (/\r\ntransfer-encoding: *chunked/.test(head)) return text.endsWith("\r\n0\r\n\r\n");
  return false;
}

/**
 * Sends `head` (request line and headers, without the blank line; `Connection: close` is
 * added) and reads the whole response until the server closes, at most `timeoutMs`.
 */
export async function rawRequest(
  url: string,
  head: string,
  options: { body?: string; timeoutMs?: number } = {},
): Promise<RawResponse> {
  const u = new URL(url);
  const conn = await Deno.connect({ hostname: u.hostname, port: Number(u.port) });
  const timer = setTimeout(() => {
    try {
      conn.close();
    } catch {
      // Closed already.
    }
  }, options.timeoutMs ?? 5000);
  const parts: Uint8Array[] = [];
  try {
    const lines = head.trimEnd().split("\n").map((l) => l.replace(/\r$/, ""));
    if (!lines.some((l) => /^connection:/i.test(l))) lines.push("Connection: close");
    await conn.write(enc.encode(lines.join("\r\n") + "\r\n\r\n" + (options.body ?? "")));
    const buf = new Uint8Array(64 * 1024);
    // Until the server closes or the framing says the body is complete (an `Upgrade:` request
    // keeps the connection open whatever `Connection` says).
    while (!complete(concat(parts))) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      parts.push(buf.slice(0, n));
    }
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // The timer closed it.
    }
  }
  const all = concat(parts);
  const end = dec.decode(all).indexOf("\r\n\r\n");
  if (end < 0) throw new Error(`No complete response head: ${JSON.stringify(dec.decode(all))}`);
  const [statusLine, ...headerLines] = dec.decode(all.subarray(0, end)).split("\r\n");
  const headers = headerLines.map((l): [string, string] => {
    const i = l.indexOf(":");
    return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()];
  });
  // The head is ASCII, so its character offset is its byte offset.
  const raw = all.subarray(end + 4);
  const chunked = headers.some(([k, v]) => k === "transfer-encoding" && /chunked/i.test(v));
  return {
    status: Number(statusLine.split(" ")[1]),
    headers,
    body: chunked ? dechunk(raw) : raw,
    chunked,
  };
}

/** The first value of header `name` in a raw response. */
export function rawHeader(r: RawResponse, name: string): string | undefined {
  return r.headers.find(([k]) => k === name)?.[1];
}

/** edge-proxy on loopback ports in front of `upstreams`, with its cache in a temp dir. */
export interface TestProxy {
  proxy: EdgeProxy;
  close(): Promise<void>;
}

/**
 * Starts edge-proxy in front of `upstreams`. `config` is config.yaml text; listen, admin,
 * servers and the cache path are overridden.
 */
export async function startProxy(upstreams: string[], config = ""): Promise<TestProxy> {
  const dir = await Deno.makeTempDir({ prefix: "edge-proxy-e2e-" });
  const cfg = withOverrides(parseConfig(config, "test config"), {
    listen: "127.0.0.1:0",
    admin: "127.0.0.1:0",
    upstreams,
    cache: `${dir}/cache.kv`,
  });
  const proxy = await startEdgeProxy(cfg);
  return {
    proxy,
    async close() {
      await proxy.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** A loopback URL nothing listens on (the port was free a moment ago). */
export function deadUrl(): string {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return `http://127.0.0.1:${port}`;
}
