/**
 * @module The executable: parse flags, load config, start the proxy, stop on SIGTERM/SIGINT.
 * The only module with process-wide side effects.
 */
import { HELP, parseFlags } from "./cli.ts";
import { type Config, ConfigError, loadConfig, parseConfig, withOverrides } from "./config.ts";
import { resolveUpstream, type UpstreamTarget } from "./upstream/resolve_upstream.ts";
import { startEdgeProxy } from "./edge_proxy.ts";
import { errorText, logger, setupLogging } from "./log.ts";
import denoJson from "../deno.json" with { type: "json" };

/** Runs the program; returns the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  let config: Config;
  let upstream: UpstreamTarget;
  try {
    const flags = parseFlags(args);
    if (flags.help) {
      console.log(HELP);
      return 0;
    }
    if (flags.version) {
      console.log(`edge-proxy ${denoJson.version}`);
      return 0;
    }
    const base = flags.config ? await loadConfig(flags.config) : parseConfig("", "defaults");
    config = withOverrides(base, flags, "command line");
    upstream = await resolveUpstream(config);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof TypeError) {
      console.error(`edge-proxy: ${e.message}`);
      return 2;
    }
    throw e;
  }
  await setupLogging({ level: config.logLevel });
  const log = logger("main");
  let proxy;
  try {
    proxy = await startEdgeProxy(config, { upstream });
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`edge-proxy: ${e.message}`);
      return 2;
    }
    log.fatal("Cannot start: {error}", { error: errorText(e) });
    return 1;
  }
  const { promise, resolve } = Promise.withResolvers<string>();
  for (const sig of ["SIGTERM", "SIGINT"] as const) Deno.addSignalListener(sig, () => resolve(sig));
  const sig = await promise;
  log.info("Received {signal}, shutting down", { signal: sig });
  const hardStop = setTimeout(() => {
    log.error("Shutdown took over 5 s; exiting anyway");
    Deno.exit(0);
  }, 5000);
  await proxy.close();
  clearTimeout(hardStop);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
