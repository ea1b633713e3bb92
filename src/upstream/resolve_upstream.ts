/**
 * @module `resolveUpstream(config)`: the apiserver URLs and the proxy's own credentials, from
 * `upstream.servers`, the kubeconfig and the explicit `ca`/`cert`/`key`/`token` files.
 */
import type { Config } from "../config.ts";
import { ConfigError } from "../config_error.ts";
import { readKubeconfig, type UpstreamCredentials } from "./kubeconfig.ts";

/** Where the proxy forwards to, and as whom when a client brings no credentials. */
export interface UpstreamTarget {
  servers: string[];
  creds: UpstreamCredentials;
}

/**
 * Resolves servers and credentials. Explicit keys override the kubeconfig's.
 *
 * @throws {ConfigError} naming the key when a file cannot be read, a certificate lacks its
 * key, or no server is known.
 */
export async function resolveUpstream(config: Config): Promise<UpstreamTarget> {
  const u = config.upstream;
  let creds: UpstreamCredentials = {};
  if (u.kubeconfig) {
    try {
      creds = await readKubeconfig(u.kubeconfig);
    } catch (e) {
      throw new ConfigError(`Invalid "upstream.kubeconfig": ${(e as Error).message}`);
    }
  }
  const read = async (key: string, path: string) => {
    try {
      return await Deno.readTextFile(path);
    } catch (e) {
      throw new ConfigError(
        `Cannot read "upstream.${key}" file "${path}": ${(e as Error).message}`,
      );
    }
  };
  if (u.ca) creds.ca = await read("ca", u.ca);
  if (u.cert) creds.cert = await read("cert", u.cert);
  if (u.key) creds.key = await read("key", u.key);
  if (u.token) creds.token = u.token;
  if (u.tokenFile) creds.tokenFile = u.tokenFile;
  if (Boolean(creds.cert) !== Boolean(creds.key)) {
    throw new ConfigError(`Invalid "upstream": a client certificate needs both "cert" and "key"`);
  }
  const servers = u.servers.length ? [...u.servers] : creds.server ? [creds.server] : [];
  if (servers.length === 0) {
    throw new ConfigError(
      `Invalid "upstream.servers": no apiserver given (set it, pass --upstream, or give a kubeconfig with a server)`,
    );
  }
  return { servers, creds };
}
