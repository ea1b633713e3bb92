/**
 * @module The naive filter as a proxy, the comparator for the streaming filter in the proxy:
 * fetch the list, `JSON.parse` it whole, drop the `skip-` items, `JSON.stringify`, answer. Its
 * own process, like edge-proxy in the benchmark, so both pay the same HTTP and process costs.
 *
 * `deno run --allow-net bench/naive_proxy.ts UPSTREAM` prints its URL as one line.
 */

import { spawnReporting } from "./child_process.ts";

/** A running naive proxy. */
export interface NaiveProxy {
  url: string;
  stop(): Promise<void>;
}

/** Spawns this module in front of `upstream`; resolves once it listens. */
export async function startNaiveProxy(upstream: string): Promise<NaiveProxy> {
  const child = await spawnReporting(["--allow-net", new URL(import.meta.url).pathname, upstream]);
  return { url: child.line, stop: child.stop };
}

if (import.meta.main) {
  const upstream = Deno.args[0];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    const res = await fetch(`${upstream}${url.pathname}${url.search}`, {
      headers: { accept: "application/json" },
    });
    const list = JSON.parse(await res.text());
    list.items = list.items.filter((i: { metadata: { name: string } }) =>
      !i.metadata.name.startsWith("skip-")
    );
    return new Response(JSON.stringify(list), {
      status: res.status,
      headers: { "content-type": "application/json" },
    });
  });
  console.log(`http://127.0.0.1:${server.addr.port}`);
  Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
}
