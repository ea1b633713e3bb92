/**
 * @module Kubeconfig reading: the current context's server and credentials, as PEM text and a token.
 */
import { parse } from "yaml";

/** Credentials for the upstream, each optional. PEM strings, not paths. */
export interface UpstreamCredentials {
  server?: string;
  ca?: string;
  cert?: string;
  key?: string;
  token?: string;
  /** A file re-read on every use, so rotated service-account tokens keep working. */
  tokenFile?: string;
}

interface NamedCluster {
  name: string;
  cluster: Record<string, unknown>;
}
interface NamedUser {
  name: string;
  user: Record<string, unknown>;
}
interface NamedContext {
  name: string;
  context: { cluster?: string; user?: string };
}

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? (i === 0 ? "/" : ".") : path.slice(0, i);
}

async function pem(
  file: string,
  dataKey: unknown,
  pathKey: unknown,
  base: string,
  what: string,
): Promise<string | undefined> {
  if (typeof dataKey === "string" && dataKey !== "") {
    try {
      return atob(dataKey.replace(/\s+/g, ""));
    } catch {
      throw new TypeError(`Cannot read kubeconfig "${file}": "${what}-data" is not base64`);
    }
  }
  if (typeof pathKey === "string" && pathKey !== "") {
    const p = pathKey.startsWith("/") ? pathKey : `${base}/${pathKey}`;
    try {
      return await Deno.readTextFile(p);
    } catch (e) {
      throw new TypeError(
        `Cannot read kubeconfig "${file}": "${what}" file "${p}": ${(e as Error).message}`,
      );
    }
  }
  return undefined;
}

/**
 * Reads the current context of a kubeconfig file.
 *
 * `insecure-skip-tls-verify: true` is refused: Deno's fetch has no per-client switch for it,
 * and a proxy that silently verified anyway (or silently did not) would be worse than an error.
 *
 * @throws {TypeError} naming the file and the key when something is missing or unreadable.
 */
export async function readKubeconfig(file: string): Promise<UpstreamCredentials> {
  let doc: Record<string, unknown>;
  try {
    doc = parse(await Deno.readTextFile(file)) ?? {};
  } catch (e) {
    throw new TypeError(`Cannot read kubeconfig "${file}": ${(e as Error).message.split("\n")[0]}`);
  }
  const contexts = (doc.contexts ?? []) as NamedContext[];
  const current = doc["current-context"] as string | undefined;
  const clusters = (doc.clusters ?? []) as NamedCluster[];
  const users = (doc.users ?? []) as NamedUser[];
  // A name that is given but not found is an error, as in client-go: falling back to the first
  // entry would send one user's credentials to another cluster. Only a file that names no
  // context at all falls back to its first cluster and user.
  const missing = (what: string, name: string) =>
    new TypeError(`Cannot read kubeconfig "${file}": ${what} "${name}" not found`);
  const ctx = current ? contexts.find((c) => c.name === current) : contexts[0];
  if (current && !ctx) throw missing("context", current);
  const clusterName = ctx?.context?.cluster;
  const userName = ctx?.context?.user;
  const cluster = ctx
    ? clusters.find((c) => c.name === clusterName)?.cluster
    : clusters[0]?.cluster;
  if (ctx && clusterName && !cluster) throw missing("cluster", clusterName);
  const user = (ctx ? users.find((u) => u.name === userName)?.user : users[0]?.user) ?? {};
  if (ctx && userName && !users.some((u) => u.name === userName)) throw missing("user", userName);
  if (!cluster) throw new TypeError(`Cannot read kubeconfig "${file}": no cluster`);
  if (cluster["insecure-skip-tls-verify"] === true) {
    throw new TypeError(
      `Cannot use kubeconfig "${file}": "insecure-skip-tls-verify" is not supported; give "certificate-authority" or "certificate-authority-data"`,
    );
  }
  const base = dirOf(file);
  const tokenFile = typeof user.tokenFile === "string" && user.tokenFile
    ? (user.tokenFile.startsWith("/") ? user.tokenFile : `${base}/${user.tokenFile}`)
    : undefined;
  return {
    server: typeof cluster.server === "string" ? cluster.server : undefined,
    ca: await pem(
      file,
      cluster["certificate-authority-data"],
      cluster["certificate-authority"],
      base,
      "certificate-authority",
    ),
    cert: await pem(
      file,
      user["client-certificate-data"],
      user["client-certificate"],
      base,
      "client-certificate",
    ),
    key: await pem(file, user["client-key-data"], user["client-key"], base, "client-key"),
    token: typeof user.token === "string" && user.token ? user.token : undefined,
    tokenFile,
  };
}
