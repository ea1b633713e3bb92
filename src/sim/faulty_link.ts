/**
 * @module FaultyLink: a loopback TCP relay between the proxy and the sim that breaks the link on
 * purpose, the three ways an edge uplink fails: refused, silently dropped, or reset.
 */

/**
 * - `pass`: relay bytes both ways.
 * - `refuse`: stop listening, so connects are refused; open connections are closed too, as a
 *   server that went away has none.
 * - `blackhole`: accept and never answer; open connections stop forwarding silently (packets
 *   lost), and stay dead after the link comes back, since their bytes are gone.
 * - `reset`: close every open connection now, and each new one right after accept.
 */
export type LinkMode = "pass" | "refuse" | "blackhole" | "reset";

interface Pair {
  client: Deno.Conn;
  upstream?: Deno.Conn;
  /** Set once the link drops this connection's bytes; it never forwards again. */
  dead: boolean;
  closed: boolean;
}

const BUFFER = 64 * 1024;

function closeQuietly(c: Deno.Conn | undefined): void {
  try {
    c?.close();
  } catch {
    // Already closed: the other pump got there first.
  }
}

/** A TCP relay on 127.0.0.1 whose failure mode can be switched at any time. */
export class FaultyLink {
  readonly port: number;
  readonly url: string;
  #mode: LinkMode = "pass";
  #target: { hostname: string; port: number };
  #listener?: Deno.Listener;
  #pairs = new Set<Pair>();
  #tasks = new Set<Promise<void>>();
  #closed = false;

  private constructor(listener: Deno.Listener, target: { hostname: string; port: number }) {
    this.#listener = listener;
    this.#target = target;
    this.port = (listener.addr as Deno.NetAddr).port;
    this.url = `http://127.0.0.1:${this.port}`;
    this.#track(this.#acceptLoop(listener));
  }

  /** Starts relaying to `target`; `options.port` 0 (the default) picks a free port. */
  static start(
    target: { hostname: string; port: number },
    options: { port?: number } = {},
  ): Promise<FaultyLink> {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: options.port ?? 0 });
    return Promise.resolve(new FaultyLink(listener, target));
  }

  get mode(): LinkMode {
    return this.#mode;
  }

  set mode(m: LinkMode) {
    this.setMode(m);
  }

  /** Switches the failure mode; takes effect on open connections immediately. */
  setMode(m: LinkMode): void {
    if (this.#closed) throw new Error(`Cannot set mode "${m}": the link is closed`);
    this.#mode = m;
    if (m === "refuse") {
      this.#listener?.close();
      this.#listener = undefined;
      this.resetAll();
      return;
    }
    if (!this.#listener) {
      // Same port again, so clients configured with `url` reconnect once the link is back.
      this.#listener = Deno.listen({ hostname: "127.0.0.1", port: this.port });
      this.#track(this.#acceptLoop(this.#listener));
    }
    if (m === "reset") this.resetAll();
    if (m === "blackhole") { for (const p of this.#pairs) p.dead = true; }
  }

  /** Closes every open connection abruptly, whatever the mode. */
  resetAll(): void {
    for (const p of this.#pairs) this.#drop(p);
  }

  /** Stops listening, closes every connection and waits for the relay tasks to end. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#listener?.close();
      this.#listener = undefined;
      this.resetAll();
    }
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
  }

  #track(p: Promise<void>): void {
    this.#tasks.add(p);
    p.finally(() => this.#tasks.delete(p));
  }

  #drop(p: Pair): void {
    if (p.closed) return;
    p.closed = true;
    this.#pairs.delete(p);
    closeQuietly(p.client);
    closeQuietly(p.upstream);
  }

  async #acceptLoop(listener: Deno.Listener): Promise<void> {
    while (!this.#closed) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        return; // The listener was closed: refuse mode or close().
      }
      const pair: Pair = { client: conn, dead: false, closed: false };
      this.#pairs.add(pair);
      if (this.#mode === "reset" || this.#closed) {
        this.#drop(pair);
      } else if (this.#mode === "blackhole") {
        pair.dead = true;
        this.#track(this.#pump(pair, conn, undefined));
      } else {
        this.#track(this.#connect(pair));
      }
    }
  }

  async #connect(pair: Pair): Promise<void> {
    try {
      pair.upstream = await Deno.connect({
        hostname: this.#target.hostname,
        port: this.#target.port,
      });
    } catch {
      this.#drop(pair); // The upstream is down: the client sees its connection close.
      return;
    }
    if (pair.closed) {
      closeQuietly(pair.upstream);
      return;
    }
    await Promise.all([
      this.#pump(pair, pair.client, pair.upstream),
      this.#pump(pair, pair.upstream, pair.client),
    ]);
  }

  /** Copies `from` to `to` until EOF or error; a dead pair's bytes are read and dropped. */
  async #pump(pair: Pair, from: Deno.Conn, to: Deno.Conn | undefined): Promise<void> {
    const buf = new Uint8Array(BUFFER);
    try {
      while (!pair.closed) {
        const n = await from.read(buf);
        if (n === null) break;
        if (pair.dead || !to) continue;
        let off = 0;
        while (off < n) off += await to.write(buf.subarray(off, n));
      }
      if (!pair.dead && to && !pair.closed) await to.closeWrite().catch(() => {});
      if (!to || pair.dead) this.#drop(pair);
    } catch {
      this.#drop(pair);
    }
  }
}
