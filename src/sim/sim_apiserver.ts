/**
 * @module startSimApiserver: the simulated kube-apiserver on a loopback port, for the demo,
 * the tests and the benchmarks.
 */
import { createSimHandler, type SimHandlerOptions } from "./sim_handler.ts";
import { SimStore } from "./sim_store.ts";

export { createSimHandler, type SimHandlerOptions } from "./sim_handler.ts";

/** A running simulated apiserver. */
export interface SimApiserver {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  port: number;
  store: SimStore;
  /** Ends every open watch, then stops the server. */
  close(): Promise<void>;
  /** Requests served so far. */
  readonly requests: number;
}

/** Options of startSimApiserver. */
export interface SimApiserverOptions extends Omit<SimHandlerOptions, "signal"> {
  /** @default "127.0.0.1" */
  hostname?: string;
  /** 0 picks a free port. @default 0 */
  port?: number;
  /** @default a new SimStore */
  store?: SimStore;
}

/**
 * Serves a SimStore over plain HTTP/1.1 on loopback.
 *
 * @example
 * ```ts
 * import { startSimApiserver } from "./sim_apiserver.ts";
 * const sim = await startSimApiserver();
 * const res = await fetch(`${sim.url}/api/v1/namespaces/default/configmaps`);
 * await res.body?.cancel();
 * await sim.close();
 * ```
 */
export function startSimApiserver(options: SimApiserverOptions = {}): Promise<SimApiserver> {
  const store = options.store ?? new SimStore();
  const closing = new AbortController();
  const handle = createSimHandler(store, {
    bookmarkIntervalMs: options.bookmarkIntervalMs,
    gzipThreshold: options.gzipThreshold,
    signal: closing.signal,
  });
  let requests = 0;
  const { promise, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
    onListen: (addr) => resolve(addr as Deno.NetAddr),
  }, (req) => {
    requests++;
    return handle(req);
  });
  return promise.then((addr) => {
    const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
    let closed: Promise<void> | undefined;
    return {
      url: `http://${host}:${addr.port}`,
      port: addr.port,
      store,
      get requests() {
        return requests;
      },
      close() {
        closed ??= (async () => {
          closing.abort();
          await server.shutdown();
        })();
        return closed;
      },
    };
  });
}
