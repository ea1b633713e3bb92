/**
 * @module Command-line flags: `parseFlags(args)` to {@linkcode Flags}, and the `--help` text.
 */
import { parseArgs } from "node:util";
import type { ConfigOverrides } from "./config.ts";

/** Parsed command line. */
export interface Flags extends ConfigOverrides {
  config?: string;
  help: boolean;
  version: boolean;
}

/** The `--help` text; the README quotes it. */
export const HELP = `edge-proxy: a caching, filtering Kubernetes API proxy for edge nodes

Usage: edge-proxy [flags]

Flags:
  --config FILE        YAML configuration (default: built-in defaults; see config.yaml)
  --listen HOST:PORT   Kubernetes API for local clients (default 127.0.0.1:10261); an address
                       off loopback needs listen.tls in the config (TLS, client certificates)
  --admin HOST:PORT    /healthz, /readyz, /metrics (default 127.0.0.1:10267)
  --upstream URL       cloud kube-apiserver; repeat for failover, tried in order
                       (overrides upstream.servers)
  --kubeconfig FILE    credentials and server for the upstream (overrides upstream.kubeconfig)
  --cache PATH         Deno KV file of the offline cache (overrides cache.path)
  --log-level LEVEL    debug | info | warning | error (default info)
  -h, --help           this text
  --version            print the version

Exit codes: 0 after SIGTERM/SIGINT, 2 for a bad flag or config, 1 for any other startup failure.
`;

/**
 * Parses flags. Unknown flags and stray arguments are errors, so a typo never silently
 * leaves a default in place.
 *
 * @throws {TypeError} with a one-line message naming the flag.
 */
export function parseFlags(args: readonly string[]): Flags {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        config: { type: "string" },
        listen: { type: "string" },
        admin: { type: "string" },
        upstream: { type: "string", multiple: true },
        kubeconfig: { type: "string" },
        cache: { type: "string" },
        "log-level": { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    throw new TypeError(`${(e as Error).message.split("\n")[0]} (see --help)`);
  }
  const v = parsed.values;
  return {
    config: v.config,
    listen: v.listen,
    admin: v.admin,
    upstreams: v.upstream,
    kubeconfig: v.kubeconfig,
    cache: v.cache,
    logLevel: v["log-level"],
    help: v.help ?? false,
    version: v.version ?? false,
  };
}
