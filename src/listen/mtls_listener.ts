/**
 * @module `serveMutualTls()`: the Kubernetes API listener over TLS that admits only clients
 * presenting a certificate signed by the configured CA (`listen.tls`).
 *
 * `Deno.serve` and `Deno.listenTls` (Deno 2.9) take a server certificate but cannot request or
 * verify a client's (denoland/deno#26825); `node:tls` can (`requestCert`, `ca`; Deno honours
 * them since denoland/deno#33439). So `node:tls` terminates TLS and refuses unverified clients
 * in the handshake, then relays the plain bytes to a `Deno.serve` on a Unix socket in a private
 * (0700) temporary directory: HTTP parsing, streaming and shutdown stay `Deno.serve`'s, and only
 * verified clients reach it.
 */
import net from "node:net";
import tls from "node:tls";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { ConfigError } from "../config_error.ts";

/** The `listen.tls` files. */
export interface ListenTlsFiles {
  certFile: string;
  keyFile: string;
  clientCAFile: string;
}

/** The PEM text of those files. */
export interface ListenTlsPem {
  cert: string;
  key: string;
  clientCA: string;
}

/**
 * Reads the PEM files.
 *
 * @throws {ConfigError} naming the `listen.tls` key of a file that cannot be read.
 */
export async function readListenTls(files: ListenTlsFiles): Promise<ListenTlsPem> {
  const read = async (key: keyof ListenTlsFiles) => {
    try {
      return await Deno.readTextFile(files[key]);
    } catch (e) {
      throw new ConfigError(
        `Cannot read "listen.tls.${key}" file "${files[key]}": ${(e as Error).message}`,
      );
    }
  };
  return {
    cert: await read("certFile"),
    key: await read("keyFile"),
    clientCA: await read("clientCAFile"),
  };
}

/** node:tls reads the PEM only at the first handshake; a bad file should stop the start. */
function checkPem(pem: ListenTlsPem): void {
  const checks: [string, () => unknown][] = [
    ["certFile", () => new X509Certificate(pem.cert)],
    ["keyFile", () => createPrivateKey(pem.key)],
    ["clientCAFile", () => new X509Certificate(pem.clientCA)],
  ];
  for (const [key, check] of checks) {
    try {
      check();
    } catch (e) {
      throw new ConfigError(`Invalid "listen.tls.${key}": ${(e as Error).message.split("\n")[0]}`);
    }
  }
}

/** Options for {@linkcode serveMutualTls}. */
export interface MutualTlsOptions {
  hostname: string;
  port: number;
  pem: ListenTlsPem;
  /** As `Deno.serve`'s. */
  onError?: (error: unknown) => Response | Promise<Response>;
  /** Called with the reason when a client fails the handshake (no or a foreign certificate). */
  onRefused?: (reason: string) => void;
}

/** A running mutual-TLS listener. */
export interface MutualTlsServer {
  addr: Deno.NetAddr;
  /** Stops accepting, lets open responses finish as `Deno.serve`'s shutdown does, then closes. */
  shutdown(): Promise<void>;
}

/**
 * Serves `handler` over TLS to clients with a certificate the client CA signed.
 *
 * @throws {ConfigError} when the certificate, key or CA is not valid PEM.
 * @throws the listen error when the address cannot be bound.
 */
export async function serveMutualTls(
  options: MutualTlsOptions,
  handler: Deno.ServeHandler<Deno.UnixAddr>,
): Promise<MutualTlsServer> {
  const { pem } = options;
  checkPem(pem);
  const dir = await Deno.makeTempDir({ prefix: "edge-proxy-tls-" }); // mkdtemp: mode 0700
  const path = `${dir}/api.sock`;
  const inner = Deno.serve({ path, onListen: () => {}, onError: options.onError }, handler);
  const relays = new Set<() => void>();
  let front: tls.Server;
  try {
    front = tls.createServer({
      cert: pem.cert,
      key: pem.key,
      ca: pem.clientCA,
      requestCert: true,
      rejectUnauthorized: true,
    }, (socket) => {
      const plain = net.connect({ path });
      const end = () => {
        socket.destroy();
        plain.destroy();
        relays.delete(end);
      };
      relays.add(end);
      for (const s of [socket, plain]) s.on("error", end).on("close", end);
      socket.pipe(plain).pipe(socket);
    });
    front.on("tlsClientError", (e) => options.onRefused?.(e.message));
    await new Promise<void>((resolve, reject) => {
      front.once("error", reject);
      front.listen(options.port, options.hostname, () => {
        front.off("error", reject);
        resolve();
      });
    });
  } catch (e) {
    await inner.shutdown();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw e;
  }
  const a = front.address() as net.AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    addr: { transport: "tcp", hostname: a.address, port: a.port },
    shutdown() {
      closing ??= (async () => {
        front.close();
        await inner.shutdown();
        for (const end of [...relays]) end();
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      })();
      return closing;
    },
  };
}
