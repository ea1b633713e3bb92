/**
 * @module The floor of any relay on this machine, the comparators for forwarding: a raw TCP
 * relay in Deno (bytes piped both ways, no HTTP parsing) and, where installed, socat (C). Each
 * is its own process, like edge-proxy, so a list through them pays the same extra hop.
 *
 * `deno run --allow-net bench/tcp_relay.ts HOST:PORT` prints its URL as one line.
 */

import { spawnReporting } from "./child_process.ts";

/** A running relay. */
export interface Relay {
  url: string;
  stop(): Promise<void>;
}

/** Spawns this module in front of `upstream` (an http:// URL). */
export async function startDenoRelay(upstream: string): Promise<Relay> {
  const { host } = new URL(upstream);
  const child = await spawnReporting(["--allow-net", new URL(import.meta.url).pathname, host]);
  return { url: child.line, stop: child.stop };
}

/** Spawns socat in front of `upstream`, or resolves null where socat is not installed. */
export async function startSocat(upstream: string): Promise<Relay | null> {
  const { hostname, port } = new URL(upstream);
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const own = probe.addr.port;
  probe.close();
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("socat", {
      args: [`TCP-LISTEN:${own},fork,reuseaddr,bind=127.0.0.1`, `TCP:${hostname}:${port}`],
      stdout: "null",
      stderr: "null",
    }).spawn();
  } catch {
    return null;
  }
  for (let k = 0; k < 50; k++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port: own })).close();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url: `http://127.0.0.1:${own}`,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

if (import.meta.main) {
  const [hostname, port] = Deno.args[0].split(":");
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  console.log(`http://127.0.0.1:${listener.addr.port}`);
  Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
  for await (const conn of listener) {
    Deno.connect({ hostname, port: Number(port) }).then((up) => {
      conn.readable.pipeTo(up.writable).catch(() => {});
      up.readable.pipeTo(conn.writable).catch(() => {});
    }, () => conn.close());
  }
}
