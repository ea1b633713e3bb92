/**
 * @module Test certificates made with `openssl` at test time: a client CA, a server certificate
 * for 127.0.0.1 signed by it, a client certificate it signed, and one a foreign CA signed.
 */

/** PEM text of the generated material. */
export interface TestCerts {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  foreignCert: string;
  foreignKey: string;
}

/** Why the certificates cannot be made here (no `openssl`), or null when they can. */
export async function opensslMissing(): Promise<string | null> {
  try {
    const out = await new Deno.Command("openssl", {
      args: ["version"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return out.success ? null : "openssl version failed";
  } catch (e) {
    return `openssl not available: ${(e as Error).message}`;
  }
}

async function openssl(dir: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd: dir, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

async function selfSignedCa(dir: string, name: string): Promise<void> {
  await openssl(
    dir,
    "req",
    "-x509",
    ...EC,
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.crt`,
  );
}

async function signed(dir: string, name: string, ca: string, ext: string): Promise<void> {
  await openssl(
    dir,
    "req",
    ...EC,
    "-subj",
    `/CN=${name}`,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
  );
  await Deno.writeTextFile(`${dir}/${name}.ext`, ext);
  await openssl(
    dir,
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.crt`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}.crt`,
  );
}

/** Generates the certificates in a new temporary directory; the caller removes `dir`. */
export async function makeTestCerts(): Promise<TestCerts> {
  const dir = await Deno.makeTempDir({ prefix: "edge-proxy-certs-" });
  await selfSignedCa(dir, "client-ca");
  await selfSignedCa(dir, "foreign-ca");
  await signed(
    dir,
    "server",
    "client-ca",
    "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
  );
  await signed(dir, "client", "client-ca", "extendedKeyUsage=clientAuth\n");
  await signed(dir, "foreign", "foreign-ca", "extendedKeyUsage=clientAuth\n");
  const r = (f: string) => Deno.readTextFile(`${dir}/${f}`);
  return {
    dir,
    caCert: await r("client-ca.crt"),
    serverCert: await r("server.crt"),
    serverKey: await r("server.key"),
    clientCert: await r("client.crt"),
    clientKey: await r("client.key"),
    foreignCert: await r("foreign.crt"),
    foreignKey: await r("foreign.key"),
  };
}
