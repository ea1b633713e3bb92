/**
 * @module The load workload of issue 5, shared by `deno task bench` (60 s, 200 watches) and the
 * smoke test (seconds, a few watches): informer-like watchers through the proxy compared with a
 * direct reference watch, lists at a fixed rate, writes on the apiserver, and an optional cut
 * of the link in the middle.
 */

/** What to run. Every loop is bounded by `seconds` (plus a fixed drain time). */
export interface LoadOptions {
  /** The proxy under test. */
  proxyUrl: string;
  /** The apiserver itself: writes go there, and the reference watch and final truth. */
  directUrl: string;
  namespace: string;
  watches: number;
  listsPerSecond: number;
  writesPerSecond: number;
  seconds: number;
  /** Cut the link from `from` to `to` seconds into the run. */
  cut?: { from: number; to: number; set(down: boolean): void };
  /** Longest wait after the load for every watcher to catch up. @default 5 */
  drainSeconds?: number;
  /** Called once, `sampleAt` seconds in (the RSS baseline of the bench). */
  sampleAt?: number;
  onSample?: () => void;
}

/** What happened. */
export interface LoadResult {
  lists: number;
  listErrors: number;
  /** Lists answered from the edge cache (its Warning header). */
  listsFromCache: number;
  writes: number;
  writeErrors: number;
  /** Events the reference watch saw (no BOOKMARKs). */
  events: number;
  /** Watchers whose events differ from the reference's (lost, extra or reordered). */
  diverged: number;
  /** Watchers whose final view differs from the apiserver's. */
  unconverged: number;
  /** Watch requests made beyond the first per watcher (re-watches after an end). */
  rewatches: number;
  /** Relists after a 410 Gone. */
  relists: number;
  /** Watchers whose events are a true prefix of the reference's: none lost, still catching up. */
  behind: number;
  /** Seconds after the load until every watcher had the apiserver's view (or the drain ended). */
  drainSeconds: number;
  /** The first few differences, for a failure message. */
  problems: string[];
}

const HEADERS = {
  "user-agent": "load-informer/v1.32.0",
  accept: "application/json",
  authorization: "Bearer load-token",
};

interface Meta {
  name: string;
  resourceVersion: string;
}

/** Splits a watch body into parsed events as lines complete. */
async function* events(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<{ type: string; object: { metadata?: Meta; code?: number } }> {
  let rest = "";
  for await (const text of body.pipeThrough(new TextDecoderStream())) {
    rest += text;
    let nl;
    while ((nl = rest.indexOf("\n")) >= 0) {
      const line = rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      if (line.trim()) yield JSON.parse(line);
    }
  }
}

/**
 * One informer-like watcher: watches from `rv`, re-watches from its last resourceVersion when
 * a watch ends, relists on 410. Records every event (type, name, rv) in order.
 */
class Watcher {
  readonly seen: string[] = [];
  readonly view = new Map<string, string>();
  rv: string;
  watches = 0;
  relists = 0;
  #ctl = new AbortController();
  #res: Response | null = null;
  done: Promise<void>;

  constructor(
    readonly base: string,
    readonly ns: string,
    rv: string,
    initial: Map<string, string>,
    readonly until: () => boolean,
  ) {
    this.rv = rv;
    for (const [k, v] of initial) this.view.set(k, v);
    this.done = this.#run();
  }

  stop(): void {
    this.#ctl.abort();
  }

  async #run(): Promise<void> {
    const path = `/api/v1/namespaces/${this.ns}/configmaps`;
    while (!this.until() && !this.#ctl.signal.aborted) {
      this.watches++;
      try {
        const res = await fetch(
          `${this.base}${path}?watch=1&allowWatchBookmarks=true&resourceVersion=${this.rv}`,
          { headers: HEADERS, signal: this.#ctl.signal },
        );
        if (res.status !== 200) {
          await res.body?.cancel();
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        // Held: Deno's fetch stops aborting a body once its Response was garbage-collected.
        this.#res = res;
        for await (const e of events(res.body!)) {
          if (e.type === "ERROR") {
            if (e.object.code === 410) await this.#relist(path);
            break;
          }
          const m = e.object.metadata!;
          if (e.type !== "BOOKMARK") {
            this.seen.push(`${e.type} ${m.name} ${m.resourceVersion}`);
            if (e.type === "DELETED") this.view.delete(m.name);
            else this.view.set(m.name, m.resourceVersion);
          }
          this.rv = m.resourceVersion;
        }
      } catch {
        if (this.#ctl.signal.aborted) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async #relist(path: string): Promise<void> {
    this.relists++;
    const res = await fetch(`${this.base}${path}`, { headers: HEADERS });
    const list = await res.json();
    this.view.clear();
    for (const i of list.items as { metadata: Meta }[]) {
      this.view.set(i.metadata.name, i.metadata.resourceVersion);
    }
    this.rv = list.metadata.resourceVersion;
    this.seen.push(`RELIST ${this.rv}`);
  }
}

/** A list of the namespace's configmaps: its resourceVersion and name -> rv. */
async function listView(
  base: string,
  ns: string,
): Promise<{ rv: string; view: Map<string, string> }> {
  const res = await fetch(`${base}/api/v1/namespaces/${ns}/configmaps`, { headers: HEADERS });
  if (!res.ok) throw new Error(`list ${base}: ${res.status} ${await res.text()}`);
  const list = await res.json();
  const view = new Map<string, string>();
  for (const i of list.items as { metadata: Meta }[]) {
    view.set(i.metadata.name, i.metadata.resourceVersion);
  }
  return { rv: list.metadata.resourceVersion, view };
}

/** Runs the workload; resolves after the run and a drain of up to 5 s. */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const r: LoadResult = {
    lists: 0,
    listErrors: 0,
    listsFromCache: 0,
    writes: 0,
    writeErrors: 0,
    events: 0,
    diverged: 0,
    unconverged: 0,
    rewatches: 0,
    relists: 0,
    behind: 0,
    drainSeconds: 0,
    problems: [],
  };
  const start = performance.now();
  const elapsed = () => (performance.now() - start) / 1000;
  // Everyone starts from one list of the apiserver, so every sequence is comparable.
  const first = await listView(o.directUrl, o.namespace);
  const reference = new Watcher(o.directUrl, o.namespace, first.rv, first.view, () => false);
  const watchers = Array.from(
    { length: o.watches },
    () => new Watcher(o.proxyUrl, o.namespace, first.rv, first.view, () => false),
  );
  const path = `/api/v1/namespaces/${o.namespace}/configmaps`;

  const lister = (async () => {
    const every = 1000 / o.listsPerSecond;
    const inflight = new Set<Promise<void>>();
    for (let k = 0; elapsed() < o.seconds; k++) {
      const due = start + k * every;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
      if (inflight.size >= 32) await Promise.race(inflight); // a stuck proxy cannot pile up lists
      const p = (async () => {
        try {
          const res = await fetch(`${o.proxyUrl}${path}`, {
            headers: HEADERS,
            signal: AbortSignal.timeout(10_000),
          });
          await res.arrayBuffer();
          r.lists++;
          if (!res.ok) r.listErrors++;
          else if (res.headers.get("warning")?.includes("edge cache")) r.listsFromCache++;
        } catch {
          r.lists++;
          r.listErrors++;
        }
      })();
      inflight.add(p);
      p.finally(() => inflight.delete(p));
    }
    await Promise.all(inflight);
  })();

  const writer = (async () => {
    const every = 1000 / o.writesPerSecond;
    const live: string[] = [];
    for (let k = 0; elapsed() < o.seconds; k++) {
      const due = start + k * every;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
      // Creates, updates and deletes in turn, on objects of this run only (none is skip-).
      let res: Response;
      const op = k % 4;
      try {
        if (op === 3 && live.length > 10) {
          const name = live.splice(k % live.length, 1)[0];
          res = await fetch(`${o.directUrl}${path}/${name}`, { method: "DELETE" });
        } else if (op === 0 || live.length === 0) {
          const name = `load-${k}`;
          live.push(name);
          res = await fetch(`${o.directUrl}${path}`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              apiVersion: "v1",
              kind: "ConfigMap",
              metadata: { name, namespace: o.namespace, labels: { load: "yes" } },
              data: { k: String(k) },
            }),
          });
        } else {
          const name = live[k % live.length];
          res = await fetch(`${o.directUrl}${path}/${name}`, {
            method: "PATCH",
            headers: { "content-type": "application/merge-patch+json" },
            body: JSON.stringify({ data: { k: String(k) } }),
          });
        }
        await res.arrayBuffer();
        r.writes++;
        if (!res.ok) r.writeErrors++;
      } catch {
        r.writes++;
        r.writeErrors++;
      }
    }
  })();

  const cutter = (async () => {
    if (!o.cut) return;
    const at = (s: number) =>
      new Promise((res) => setTimeout(res, Math.max(0, start + s * 1000 - performance.now())));
    await at(o.cut.from);
    o.cut.set(true);
    await at(o.cut.to);
    o.cut.set(false);
  })();

  const sampler = (async () => {
    if (o.sampleAt === undefined) return;
    await new Promise((res) => setTimeout(res, o.sampleAt! * 1000));
    o.onSample?.();
  })();

  await Promise.all([lister, writer, cutter, sampler]);
  // Drain: every watcher catches up with the apiserver, or `drainSeconds` pass (after a cut,
  // every watcher replays what it missed through the one proxy: that takes a while).
  const truth = await listView(o.directUrl, o.namespace);
  const same = (view: Map<string, string>) =>
    view.size === truth.view.size && [...truth.view].every(([k, v]) => view.get(k) === v);
  const drainStart = performance.now();
  const until = drainStart + (o.drainSeconds ?? 5) * 1000;
  while (
    performance.now() < until && !(same(reference.view) && watchers.every((w) => same(w.view)))
  ) {
    await new Promise((res) => setTimeout(res, 50));
  }
  r.drainSeconds = (performance.now() - drainStart) / 1000;
  for (const w of [reference, ...watchers]) w.stop();
  await Promise.all([reference, ...watchers].map((w) => w.done));

  const ref = reference.seen;
  r.events = ref.length;
  for (const [i, w] of watchers.entries()) {
    r.rewatches += w.watches - 1;
    r.relists += w.relists;
    // Without a relist, a watcher must have seen exactly the reference's events in order.
    const seen = w.seen.filter((e) => !e.startsWith("RELIST"));
    const at = seen.findIndex((e, k) => e !== ref[k]);
    if (w.relists === 0 && at < 0 && seen.length < ref.length) r.behind++;
    else if (w.relists === 0 && (at >= 0 || seen.length !== ref.length)) {
      r.diverged++;
      if (r.problems.length < 5) {
        r.problems.push(
          `watcher ${i}: ${seen.length} events vs ${ref.length}; first difference at ${at}: ${
            seen[at]
          } vs ${ref[at]}`,
        );
      }
    }
    if (!same(w.view)) {
      r.unconverged++;
      if (r.problems.length < 5 && at >= 0) r.problems.push(`watcher ${i}: final view differs`);
    }
  }
  if (!same(reference.view)) r.problems.push("the reference watch itself did not converge");
  return r;
}
