/**
 * @module The config rules that keep the proxy private: a listener off loopback needs `listen.tls`,
 * cached secrets need `cache.encryptionKeyFile`; each is a one-line exit 2 naming the key.
 */
import { assertEquals, assertMatch, assertThrows } from "../assert.ts";
import { ConfigError, parseConfig, withOverrides } from "../../src/config.ts";

const ROOT = new URL("../../", import.meta.url);

async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "src/main.ts", ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("edge-proxy --listen off loopback without listen.tls exits 2 naming listen.tls", async () => {
  for (const listen of ["0.0.0.0:10261", "[::]:10261", "192.0.2.7:10261"]) {
    const { code, stderr } = await run(["--listen", listen, "--upstream", "http://127.0.0.1:9"]);
    assertEquals(code, 2, stderr);
    assertMatch(
      stderr,
      /^edge-proxy: Invalid command line: "listen\.tls": [^\n]*off loopback[^\n]*\n$/,
    );
  }
});

Deno.test("a listen address off loopback in the file without tls names listen.tls and its line", () => {
  assertThrows(
    () => parseConfig("logLevel: info\nlisten: 0.0.0.0:10261\n", "edge.yaml"),
    ConfigError,
    'Invalid edge.yaml: "listen.tls" (line 2): ',
  );
});

Deno.test("loopback listen addresses need no TLS; listen.tls allows any address", () => {
  for (const listen of ["127.0.0.1:1", "127.3.4.5:1", "localhost:1", "[::1]:1"]) {
    assertEquals(withOverrides(parseConfig(""), { listen }).listenTls, null);
  }
  const cfg = parseConfig(
    "listen:\n  address: 0.0.0.0:10261\n  tls:\n    certFile: s.crt\n    keyFile: s.key\n    clientCAFile: ca.crt\n",
  );
  assertEquals(cfg.listen, "0.0.0.0:10261");
  assertEquals(cfg.listenTls, { certFile: "s.crt", keyFile: "s.key", clientCAFile: "ca.crt" });
  // A flag that moves the listener keeps the TLS block.
  assertEquals(withOverrides(cfg, { listen: "[::]:443" }).listenTls?.clientCAFile, "ca.crt");
});

Deno.test("listen.tls needs all three files and no other key", async (t) => {
  for (
    const [yaml, named] of [
      ["listen:\n  tls:\n    certFile: a\n    keyFile: b\n", '"listen.tls.clientCAFile" (line 3)'],
      [
        "listen:\n  tls:\n    certFile: a\n    keyFile: b\n    clientCAFile: c\n    verify: no\n",
        '"listen.tls.verify" (line 6): unknown key',
      ],
      ["listen:\n  adress: 0.0.0.0:1\n", '"listen.adress" (line 2): unknown key'],
      ["listenTls:\n  certFile: a\n", '"listenTls" (line 2): unknown key'],
    ]
  ) {
    await t.step(named, () => {
      assertThrows(() => parseConfig(yaml, "c.yaml"), ConfigError, named);
    });
  }
});

Deno.test("caching secrets without cache.encryptionKeyFile exits 2 naming the key", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/edge.yaml`;
    await Deno.writeTextFile(file, "cache:\n  resources: [configmaps, secrets]\n");
    const { code, stderr } = await run(["--config", file, "--upstream", "http://127.0.0.1:9"]);
    assertEquals(code, 2, stderr);
    assertMatch(
      stderr,
      /^edge-proxy: Invalid [^\n]*: "cache\.encryptionKeyFile" \(line \d+\): caching "secrets" needs a key file[^\n]*\n$/,
    );
    // With caching off, or the key given, the same resources are fine.
    parseConfig("cache:\n  enabled: false\n  resources: [secrets]\n");
    parseConfig("cache:\n  resources: [secrets]\n  encryptionKeyFile: /k\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("unreadable key or TLS files stop the start with exit 2 naming the key", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cases: [string, RegExp][] = [
      [
        `cache:\n  path: ${dir}/c.kv\n  resources: [secrets]\n  encryptionKeyFile: ${dir}/missing.key\n`,
        /"cache\.encryptionKeyFile"/,
      ],
      [
        `cache:\n  enabled: false\nlisten:\n  address: 127.0.0.1:0\n  tls:\n    certFile: ${dir}/none.crt\n    keyFile: ${dir}/none.key\n    clientCAFile: ${dir}/ca.crt\n`,
        /"listen\.tls\.certFile"/,
      ],
    ];
    for (const [yaml, named] of cases) {
      await Deno.writeTextFile(`${dir}/edge.yaml`, yaml);
      const { code, stderr } = await run([
        "--config",
        `${dir}/edge.yaml`,
        "--upstream",
        "http://127.0.0.1:9",
        "--admin",
        "127.0.0.1:0",
        "--listen",
        "127.0.0.1:0",
      ]);
      assertEquals(code, 2, stderr);
      assertMatch(stderr, named);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("config and kubeconfig errors never quote a credential", async () => {
  const token = "t0ken-IN-CONFIG-4e9a1c";
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/kubeconfig`,
      `clusters:\n- name: c\n  cluster: {server: "http://127.0.0.1:9"}\nusers:\n- name: u\n  user:\n    token: ${token}: x\n`,
    );
    const cases: [string, string[]][] = [
      [`upstream:\n  token: ${token}: x\n`, []],
      [`upstream:\n  token: [${token}]\n`, []],
      [`upstream:\n  servers: ["http://u:${token}@127.0.0.1:9"]\n`, []],
      ["", ["--upstream", `http://u:${token}@127.0.0.1:9`]],
      ["", ["--kubeconfig", `${dir}/kubeconfig`]],
    ];
    for (const [yaml, flags] of cases) {
      await Deno.writeTextFile(`${dir}/edge.yaml`, yaml);
      const { code, stderr } = await run(["--config", `${dir}/edge.yaml`, ...flags]);
      assertEquals(code, 2, stderr);
      assertEquals(stderr.split("\n").filter(Boolean).length, 1, stderr);
      assertEquals(stderr.includes(token), false, stderr);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
