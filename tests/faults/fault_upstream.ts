/**
 * @module A raw TCP apiserver stand-in for the fault tests, behind a {@linkcode FaultyLink}:
 * each request is answered by a script that writes bytes when and as it likes (a cut mid-body,
 * a byte every 100 ms, a stall after the headers), and edge-proxy is started in front of it.
 */
import { parseConfig, withOverrides } from "../../src/config.ts";
import { type EdgeProxy, startEdgeProxy } from "../../src/edge_proxy.ts";
import { FaultyLink } from "../../src/sim/faulty_link.ts";
import { DEFAULT_CONFIG } from "../e2e/harness.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** One request as the script sees it. */
export interface RawReq {
  method: string;
  url: URL;
}

/** Writes the answer; every call fails quietly once the proxy has gone away. */
export interface RawOut {
  /** Writes bytes as they are (a head, a chunk frame, anything). */
  write(data: string | Uint8Array): Promise<void>;
  /** `HTTP/1.1 <status>` head with chunked framing and `Connection: close`. */
  head(status: number, contentType: string): Promise<void>;
  /** One chunked-framing chunk. */
  chunk(data: string | Uint8Array): Promise<void>;
  /** The last chunk: a complete, well-formed end of the body. */
  end(): Promise<void>;
  /** Waits `ms`, or less when the stand-in closes. */
  sleep(ms: number): Promise<void>;
  /** True once the proxy closed the connection or the upstream is closing. */
  readonly gone: boolean;
}

/** Answers one request; the connection is closed when it returns (a cut, unless it ended). */
export type Script = (req: RawReq, out: RawOut) => Promise<void>;

/** A running stand-in behind its link. */
export interface FaultUpstream {
  /** The link in front of it: `setMode("refuse")` takes the upstream offline. */
  link: FaultyLink;
  /** Replaced at any time; applies to the next request. */
  script: Script;
  /** Non-probe requests received, as `METHOD /path?query`. */
  seen: string[];
  close(): Promise<void>;
}

async function readHead(conn: Deno.Conn): Promise<string | null> {
  const buf = new Uint8Array(16 * 1024);
  let got = "";
  while (!got.includes("\r\n\r\n")) {
    const n = await conn.read(buf);
    if (n === null || got.length > 64 * 1024) return null;
    got += dec.decode(buf.subarray(0, n));
  }
  return got.slice(0, got.indexOf("\r\n\r\n"));
}

/** Starts the stand-in (127.0.0.1, a free port) and a pass-mode link in front of it. */
export async function startFaultUpstream(script: Script): Promise<FaultUpstream> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  let closing = false;
  const closed = Promise.withResolvers<void>();
  const up: FaultUpstream = {
    link: undefined as unknown as FaultyLink,
    script,
    seen: [],
    async close() {
      closing = true;
      closed.resolve();
      await up.link.close();
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // Closed by its script already.
        }
      }
      await loop;
      await Promise.allSettled([...tasks]);
    },
  };
  const serve = async (conn: Deno.Conn) => {
    let gone = false;
    const out: RawOut = {
      async write(data) {
        if (gone || closing) return;
        try {
          const bytes = typeof data === "string" ? enc.encode(data) : data;
          for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
        } catch {
          gone = true;
        }
      },
      head: (status, contentType) =>
        out.write(
          `HTTP/1.1 ${status} X\r\nContent-Type: ${contentType}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`,
        ),
      async chunk(data) {
        const bytes = typeof data === "string" ? enc.encode(data) : data;
        if (bytes.length === 0) return;
        await out.write(`${bytes.length.toString(16)}\r\n`);
        await out.write(bytes);
        await out.write("\r\n");
      },
      end: () => out.write("0\r\n\r\n"),
      async sleep(ms) {
        // Ends early when the stand-in closes, so no test waits out a script's stall.
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([new Promise((r) => timer = setTimeout(r, ms)), closed.promise]);
        clearTimeout(timer);
      },
      get gone() {
        return gone || closing;
      },
    };
    try {
      const head = await readHead(conn);
      if (head === null) return;
      const [method, target] = head.split(" ");
      const url = new URL(target, "http://upstream");
      if (url.pathname === "/readyz") {
        await out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        return;
      }
      up.seen.push(`${method} ${url.pathname}${url.search}`);
      await up.script({ method, url }, out);
    } catch {
      // The proxy went away first.
    } finally {
      conns.delete(conn);
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
  };
  const loop = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      const t = serve(conn);
      tasks.add(t);
      t.finally(() => tasks.delete(t));
    }
  })().catch(() => {});
  up.link = await FaultyLink.start({
    hostname: "127.0.0.1",
    port: (listener.addr as Deno.NetAddr).port,
  });
  return up;
}

/** The configuration the fault tests share: quick probes, a rule on configmaps. */
export const FAULT_CONFIG = DEFAULT_CONFIG;

/** edge-proxy in front of `upstreams`, its cache at `cachePath` (or in a temp dir). */
export interface FaultProxy {
  proxy: EdgeProxy;
  cachePath: string;
  close(): Promise<void>;
}

/** Starts edge-proxy on loopback ports; `config` is config.yaml text. */
export async function startFaultProxy(
  upstreams: string[],
  options: { config?: string; cachePath?: string } = {},
): Promise<FaultProxy> {
  const dir = options.cachePath ? null : await Deno.makeTempDir({ prefix: "edge-proxy-fault-" });
  const cachePath = options.cachePath ?? `${dir}/cache.kv`;
  const cfg = withOverrides(parseConfig(options.config ?? FAULT_CONFIG, "test config"), {
    listen: "127.0.0.1:0",
    admin: "127.0.0.1:0",
    upstreams,
    cache: cachePath,
  });
  const proxy = await startEdgeProxy(cfg);
  return {
    proxy,
    cachePath,
    async close() {
      await proxy.close();
      if (dir) await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** A configmap as the stand-in serves it. */
export function configMap(name: string, rv: number, data = "v"): string {
  return JSON.stringify({
    kind: "ConfigMap",
    apiVersion: "v1",
    metadata: { name, namespace: "default", resourceVersion: String(rv) },
    data: { k: data },
  });
}

/** A configmap list body of `items` (JSON texts) at `rv`. */
export function configMapList(items: string[], rv: number): string {
  return `{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"${rv}"},"items":[${
    items.join(",")
  }]}`;
}

/**
 * Reads a response body the way a client does, at most `ms`: how it ended and the text got.
 * `"error"` is a cut-short body; `"hang"` means it neither ended nor failed in time.
 */
export async function readBody(
  res: Response,
  ms = 5000,
): Promise<{ end: "done" | "error" | "hang"; text: string }> {
  const reader = res.body!.getReader();
  const parts: Uint8Array[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<"hang">((r) => timer = setTimeout(() => r("hang"), ms));
  let end: "done" | "error" | "hang";
  try {
    for (;;) {
      const r = await Promise.race([reader.read(), hang]);
      if (r === "hang") {
        end = "hang";
        await reader.cancel().catch(() => {});
        break;
      }
      if (r.done) {
        end = "done";
        break;
      }
      parts.push(r.value);
    }
  } catch {
    end = "error";
  } finally {
    clearTimeout(timer);
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) all.set(p, off), off += p.length;
  return { end, text: dec.decode(all) };
}

/** Collects the proxy's log lines (JSON) while `fn` runs; logging is reset afterwards. */
export async function captureLogs<T>(
  fn: (lines: string[]) => Promise<T>,
): Promise<T> {
  const { setupLogging } = await import("../../src/log.ts");
  const { reset } = await import("@logtape/logtape");
  const lines: string[] = [];
  await setupLogging({ level: "info", write: (l) => lines.push(l) });
  try {
    return await fn(lines);
  } finally {
    await reset();
  }
}
