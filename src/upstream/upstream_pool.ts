/**
 * @module The upstream apiservers: failover order, online/offline state from probes and from
 * failed requests, and the proxy's own credentials.
 *
 * YurtHub probes every 10 s and needs one failure to flip, so an outage takes 10-25 s to notice.
 * Here a probe runs every `probeIntervalMs` (1 s) with `probeTimeoutMs` (1 s), and a request that
 * cannot connect marks its server down at once, so a cut is noticed within about 2 s and a
 * refused connection within one request.
 */
import type { UpstreamCredentials } from "./kubeconfig.ts";

/** Link state of one server. `unknown` until the first probe or request finishes. */
export type ServerState = "up" | "down" | "unknown";

/** One apiserver URL and what we know of it. */
export interface UpstreamServer {
  readonly url: URL;
  readonly client?: Deno.HttpClient;
  state: ServerState;
  /** When a probe or request last got an HTTP answer from it (ms since epoch), 0 for never. */
  lastOkAt: number;
  lastError: string;
  /** Aborted (and replaced) when the server is marked down, so streams over a dead link end. */
  down: AbortController;
}

/** Options for {@linkcode UpstreamPool}. */
export interface UpstreamPoolOptions {
  /** @default 1000 */
  probeIntervalMs?: number;
  /** @default 1000 */
  probeTimeoutMs?: number;
  /** @default "/readyz" */
  probePath?: string;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** @default Date.now */
  now?: () => number;
  /** Called on every state change (metrics, logs, offline watches that must end). */
  onStateChange?: (server: UpstreamServer, from: ServerState, reason: string) => void;
}

/** The configured apiservers in failover order. */
export class UpstreamPool {
  readonly servers: readonly UpstreamServer[];
  readonly #creds: UpstreamCredentials;
  readonly #opts: Required<Omit<UpstreamPoolOptions, "onStateChange">> & UpstreamPoolOptions;
  #timer?: ReturnType<typeof setInterval>;
  #round?: Promise<unknown>;
  #listeners = new Set<() => void>();

  constructor(
    urls: readonly string[],
    creds: UpstreamCredentials,
    options: UpstreamPoolOptions = {},
  ) {
    this.#creds = creds;
    this.#opts = {
      probeIntervalMs: 1000,
      probeTimeoutMs: 1000,
      probePath: "/readyz",
      fetch: globalThis.fetch,
      now: Date.now,
      ...options,
    };
    const needsClient = Boolean(creds.ca || creds.cert || creds.key);
    this.servers = urls.map((u) => ({
      url: new URL(u),
      client: needsClient && u.startsWith("https:")
        ? Deno.createHttpClient({
          caCerts: creds.ca ? [creds.ca] : undefined,
          ...(creds.cert && creds.key ? { cert: creds.cert, key: creds.key } : {}),
        })
        : undefined,
      state: "unknown" as ServerState,
      lastOkAt: 0,
      lastError: "",
      down: new AbortController(),
    }));
  }

  /** Servers to try, in order: up first, then unknown, then down ones (they may be back). */
  candidates(): UpstreamServer[] {
    const rank = { up: 0, unknown: 1, down: 2 } as const;
    return [...this.servers].sort((a, b) => rank[a.state] - rank[b.state]);
  }

  /** False only when every server is known to be down: answer from the cache without trying. */
  online(): boolean {
    return this.servers.some((s) => s.state !== "down");
  }

  /** Records an HTTP answer from `server`. */
  markUp(server: UpstreamServer): void {
    server.lastOkAt = this.#opts.now();
    if (server.state !== "up") this.#setState(server, "up", "answered");
  }

  /** Records a failed connection; aborts every stream still open over that server. */
  markDown(server: UpstreamServer, reason: string): void {
    server.lastError = reason;
    if (server.state !== "down") this.#setState(server, "down", reason);
  }

  /** Calls `fn` on any state change; returns the unsubscribe function. */
  subscribe(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #setState(server: UpstreamServer, state: ServerState, reason: string): void {
    const from = server.state;
    server.state = state;
    if (state === "down") {
      // End every stream that went over the dead link; later tries get a fresh signal.
      const old = server.down;
      server.down = new AbortController();
      old.abort(new Error(`upstream ${server.url.origin} is down: ${reason}`));
    }
    this.#opts.onStateChange?.(server, from, reason);
    for (const fn of this.#listeners) fn();
  }

  /**
   * The `Authorization` value the proxy adds when a client sent none. A token file is
   * re-read each time because projected service-account tokens rotate.
   */
  async authorization(): Promise<string | undefined> {
    if (this.#creds.tokenFile) {
      try {
        return `Bearer ${(await Deno.readTextFile(this.#creds.tokenFile)).trim()}`;
      } catch {
        return undefined;
      }
    }
    return this.#creds.token ? `Bearer ${this.#creds.token}` : undefined;
  }

  /** Probes one server once: any HTTP answer below 500 means the link and apiserver work. */
  async probe(server: UpstreamServer): Promise<boolean> {
    const auth = await this.authorization();
    try {
      // Keep a path prefix of the server URL (`https://rancher/k8s/clusters/c-1` + `/readyz`).
      const base = server.url.pathname.replace(/\/+$/, "");
      const res = await this.#opts.fetch(new URL(base + this.#opts.probePath, server.url), {
        client: server.client,
        headers: auth ? { authorization: auth } : {},
        signal: AbortSignal.timeout(this.#opts.probeTimeoutMs),
      } as RequestInit);
      await res.body?.cancel();
      if (res.status < 500) {
        this.markUp(server);
        return true;
      }
      this.markDown(server, `probe answered ${res.status}`);
    } catch (e) {
      this.markDown(
        server,
        (e as Error).name === "TimeoutError"
          ? "probe timed out"
          : `probe failed: ${(e as Error).message}`,
      );
    }
    return false;
  }

  /** Starts probing every server every `probeIntervalMs`; the first round runs at once. */
  start(): void {
    if (this.#timer !== undefined) return;
    const round = () => {
      if (this.#round) return; // a slow round must not stack probes on a dead link
      this.#round = Promise.all(this.servers.map((s) => this.probe(s))).finally(() => {
        this.#round = undefined;
      });
    };
    round();
    this.#timer = setInterval(round, this.#opts.probeIntervalMs);
  }

  /** Stops probing, waits for a probe in flight, and closes the HTTP clients. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#round;
    for (const s of this.servers) s.client?.close();
  }
}
