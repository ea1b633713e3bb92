import { readKubeconfig } from "../../src/upstream/kubeconfig.ts";
import { assertEquals, assertRejects } from "../assert.ts";

const CA = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n";
const CERT = "-----BEGIN CERTIFICATE-----\nCERT\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n";

interface Kubeconfig {
  cluster?: Record<string, unknown>;
  user?: Record<string, unknown>;
  extra?: string;
  current?: string;
}

function kubeconfig(o: Kubeconfig): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    "current-context": o.current ?? "edge",
    clusters: [
      { name: "other", cluster: { server: "https://other.example:6443" } },
      { name: "cloud", cluster: { server: "https://10.0.0.1:6443", ...o.cluster } },
    ],
    users: [
      { name: "someone-else", user: { token: "not-this-one" } },
      { name: "node", user: o.user ?? {} },
    ],
    contexts: [
      { name: "first", context: { cluster: "other", user: "someone-else" } },
      { name: "edge", context: { cluster: "cloud", user: "node" } },
    ],
  });
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("readKubeconfig decodes the -data variants of the current context", async () => {
  await withDir(async (dir) => {
    const file = `${dir}/kubeconfig`;
    await Deno.writeTextFile(
      file,
      kubeconfig({
        cluster: { "certificate-authority-data": btoa(CA) },
        user: { "client-certificate-data": btoa(CERT), "client-key-data": btoa(KEY) },
      }),
    );
    assertEquals(await readKubeconfig(file), {
      server: "https://10.0.0.1:6443",
      ca: CA,
      cert: CERT,
      key: KEY,
      token: undefined,
      tokenFile: undefined,
    });
  });
});

Deno.test("readKubeconfig reads file paths relative to the kubeconfig's directory", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/pki`);
    await Deno.writeTextFile(`${dir}/pki/ca.crt`, CA);
    await Deno.writeTextFile(`${dir}/pki/client.crt`, CERT);
    await Deno.writeTextFile(`${dir}/client.key`, KEY);
    const file = `${dir}/kubeconfig`;
    await Deno.writeTextFile(
      file,
      kubeconfig({
        cluster: { "certificate-authority": "pki/ca.crt" },
        user: { "client-certificate": `${dir}/pki/client.crt`, "client-key": "client.key" },
      }),
    );
    const creds = await readKubeconfig(file);
    assertEquals([creds.ca, creds.cert, creds.key], [CA, CERT, KEY]);
  });
});

Deno.test("readKubeconfig prefers -data over the file path", async () => {
  await withDir(async (dir) => {
    const file = `${dir}/kubeconfig`;
    await Deno.writeTextFile(
      file,
      kubeconfig({
        cluster: {
          "certificate-authority-data": btoa(CA),
          "certificate-authority": "missing.crt",
        },
      }),
    );
    assertEquals((await readKubeconfig(file)).ca, CA);
  });
});

Deno.test("readKubeconfig returns a token and resolves tokenFile against the kubeconfig dir", async () => {
  await withDir(async (dir) => {
    const file = `${dir}/kubeconfig`;
    await Deno.writeTextFile(file, kubeconfig({ user: { token: "abc" } }));
    const creds = await readKubeconfig(file);
    assertEquals([creds.token, creds.tokenFile], ["abc", undefined]);
    await Deno.writeTextFile(file, kubeconfig({ user: { tokenFile: "sa/token" } }));
    assertEquals((await readKubeconfig(file)).tokenFile, `${dir}/sa/token`);
    await Deno.writeTextFile(file, kubeconfig({ user: { tokenFile: "/var/run/token" } }));
    assertEquals((await readKubeconfig(file)).tokenFile, "/var/run/token");
  });
});

Deno.test("readKubeconfig refuses insecure-skip-tls-verify, naming it", async () => {
  await withDir(async (dir) => {
    const file = `${dir}/kubeconfig`;
    await Deno.writeTextFile(file, kubeconfig({ cluster: { "insecure-skip-tls-verify": true } }));
    await assertRejects(
      () => readKubeconfig(file),
      TypeError,
      `Cannot use kubeconfig "${file}": "insecure-skip-tls-verify" is not supported`,
    );
  });
});

Deno.test("readKubeconfig names what it cannot read", async (t) => {
  await withDir(async (dir) => {
    const file = `${dir}/kubeconfig`;
    await t.step("a missing file", async () => {
      await assertRejects(
        () => readKubeconfig(`${dir}/nope`),
        TypeError,
        `Cannot read kubeconfig "${dir}/nope"`,
      );
    });
    await t.step("bad base64", async () => {
      await Deno.writeTextFile(file, kubeconfig({ user: { "client-key-data": "!!!" } }));
      await assertRejects(
        () => readKubeconfig(file),
        TypeError,
        `"client-key-data" is not base64`,
      );
    });
    await t.step("a missing certificate file", async () => {
      await Deno.writeTextFile(
        file,
        kubeconfig({ cluster: { "certificate-authority": "ca.crt" } }),
      );
      await assertRejects(
        () => readKubeconfig(file),
        TypeError,
        `"certificate-authority" file "${dir}/ca.crt"`,
      );
    });
    await t.step("no cluster at all", async () => {
      await Deno.writeTextFile(file, "apiVersion: v1\nkind: Config\n");
      await assertRejects(() => readKubeconfig(file), TypeError, "no cluster");
    });
    await t.step("YAML that does not parse", async () => {
      await Deno.writeTextFile(file, "clusters: [\n");
      await assertRejects(
        () => readKubeconfig(file),
        TypeError,
        `Cannot read kubeconfig "${file}"`,
      );
    });
  });
});

Deno.test("readKubeconfig never falls back to another cluster or user for a missing name", async (t) => {
  await withDir(async (dir) => {
    const file = `${dir}/kubeconfig`;
    await t.step("current-context names no context", async () => {
      await Deno.writeTextFile(file, kubeconfig({ current: "gone" }));
      await assertRejects(() => readKubeconfig(file), TypeError, 'context "gone" not found');
    });
    await t.step("the context names no cluster", async () => {
      const doc = JSON.parse(kubeconfig({}));
      doc.contexts[1].context.cluster = "gone";
      await Deno.writeTextFile(file, JSON.stringify(doc));
      await assertRejects(() => readKubeconfig(file), TypeError, 'cluster "gone" not found');
    });
    await t.step("the context names no user", async () => {
      const doc = JSON.parse(kubeconfig({}));
      doc.contexts[1].context.user = "gone";
      await Deno.writeTextFile(file, JSON.stringify(doc));
      await assertRejects(() => readKubeconfig(file), TypeError, 'user "gone" not found');
    });
    await t.step("without current-context the first context is used", async () => {
      const doc = JSON.parse(kubeconfig({}));
      delete doc["current-context"];
      await Deno.writeTextFile(file, JSON.stringify(doc));
      const creds = await readKubeconfig(file);
      assertEquals([creds.server, creds.token], ["https://other.example:6443", "not-this-one"]);
    });
    await t.step("a file without contexts uses its first cluster and user", async () => {
      await Deno.writeTextFile(
        file,
        JSON.stringify({
          clusters: [{ name: "c", cluster: { server: "https://c:6443" } }],
          users: [{ name: "u", user: { token: "t" } }],
        }),
      );
      const creds = await readKubeconfig(file);
      assertEquals([creds.server, creds.token], ["https://c:6443", "t"]);
    });
  });
});
