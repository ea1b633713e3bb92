import { ConfigError, loadConfig, parseConfig, withOverrides } from "../src/config.ts";
import { assertEquals, assertRejects, assertThrows } from "./assert.ts";

const REPO_CONFIG = new URL("../config.yaml", import.meta.url);

Deno.test("parseConfig accepts an empty file and fills every default", () => {
  const cfg = parseConfig("", "empty.yaml");
  assertEquals(cfg.listen, "127.0.0.1:10261");
  assertEquals(cfg.admin, "127.0.0.1:10267");
  assertEquals(cfg.logLevel, "info");
  assertEquals(cfg.upstream.servers, []);
  assertEquals(cfg.upstream.connectTimeoutMs, 2000);
  assertEquals(cfg.upstream.probePath, "/readyz");
  assertEquals(cfg.filters, []);
  assertEquals(cfg.cache.enabled, true);
  assertEquals(cfg.cache.resources.includes("configmaps"), true);
  assertEquals(cfg.cache.resources.includes("secrets"), false);
  assertEquals(parseConfig("# only a comment\n"), cfg);
});

Deno.test("parseConfig returns a deeply frozen object", () => {
  const cfg = parseConfig("");
  assertEquals(Object.isFrozen(cfg), true);
  assertEquals(Object.isFrozen(cfg.upstream), true);
  assertEquals(Object.isFrozen(cfg.upstream.servers), true);
  assertThrows(() => {
    (cfg as { listen: string }).listen = "x";
  }, TypeError);
});

Deno.test("parseConfig treats an empty key as unset", async (t) => {
  await t.step("only `filters:`", () => {
    assertEquals(parseConfig("filters:\n").filters, []);
  });
  await t.step("`upstream:` with every key commented out", () => {
    assertEquals(parseConfig("upstream:\n  # servers: []\n").upstream.connectTimeoutMs, 2000);
  });
  await t.step("an empty misspelt key is still unknown", () => {
    assertThrows(() => parseConfig("filtrs:\n", "c.yaml"), ConfigError, '"filtrs" (line 1)');
  });
});

Deno.test("parseConfig reads the repository's config.yaml, whose values are the defaults", async () => {
  const cfg = parseConfig(await Deno.readTextFile(REPO_CONFIG), "config.yaml");
  const defaults = parseConfig("");
  assertEquals({ ...cfg, filters: [] }, { ...defaults, filters: [] });
  assertEquals(cfg.filters, [{ resources: ["configmaps", "pods"], drop: { namePrefix: "skip-" } }]);
});

Deno.test("parseConfig names the key path and line of an unknown key", () => {
  const e = assertThrows(
    () => parseConfig("listen: 127.0.0.1:1\nupstream:\n  servrs: []\n", "edge.yaml"),
    ConfigError,
  );
  assertEquals(e.name, "ConfigError");
  assertEquals(e.message, 'Invalid edge.yaml: "upstream.servrs" (line 3): unknown key');
});

Deno.test("parseConfig names the key of a wrong type", async (t) => {
  const cases: [string, string][] = [
    ["listen: 5\n", '"listen" (line 1)'],
    ["listen: localhost\n", '"listen" (line 1): expected HOST:PORT'],
    ["listen: 127.0.0.1:70000\n", '"listen" (line 1): port out of range'],
    ["logLevel: loud\n", '"logLevel" (line 1)'],
    ["cache:\n  enabled: yes\n", '"cache.enabled" (line 2)'],
    ["upstream:\n  connectTimeoutMs: -1\n", '"upstream.connectTimeoutMs" (line 2)'],
    ["upstream:\n  probePath: readyz\n", '"upstream.probePath" (line 2)'],
    ["filters: {}\n", '"filters" (line 1)'],
    ["filters:\n  - drop: {namePrefix: x}\n", '"filters[0].resources"'],
  ];
  for (const [text, want] of cases) {
    await t.step(JSON.stringify(text), () => {
      assertThrows(() => parseConfig(text, "c.yaml"), ConfigError, `Invalid c.yaml: ${want}`);
    });
  }
});

Deno.test("parseConfig refuses a bad upstream URL, naming its index", async (t) => {
  const bad = [
    "not a url",
    "ftp://example.com",
    "https://user:pw@example.com",
    "https://example.com/?q=1",
  ];
  for (const url of bad) {
    await t.step(url, () => {
      assertThrows(
        () => parseConfig(`upstream:\n  servers:\n    - ${JSON.stringify(url)}\n`, "c.yaml"),
        ConfigError,
        'Invalid c.yaml: "upstream.servers[0]" (line 3): expected an http(s) URL',
      );
    });
  }
  await t.step("good URLs pass", () => {
    const cfg = parseConfig(
      'upstream:\n  servers: [https://10.0.0.1:6443, "http://[::1]:8080"]\n',
    );
    assertEquals(cfg.upstream.servers, ["https://10.0.0.1:6443", "http://[::1]:8080"]);
  });
});

Deno.test("parseConfig names the filter rule key with a bad label selector", () => {
  const text = "filters:\n  - resources: [configmaps]\n    drop:\n      labelSelector: 'a in ('\n";
  const e = assertThrows(() => parseConfig(text, "c.yaml"), ConfigError);
  assertEquals(
    e.message.startsWith('Invalid c.yaml: "filters[0].drop.labelSelector" (line 4): '),
    true,
    e.message,
  );
  assertEquals(e.message.includes('Cannot parse label selector "a in ("'), true, e.message);
});

Deno.test("parseConfig names the line of a YAML syntax error", () => {
  assertThrows(() => parseConfig("listen: [\n", "c.yaml"), ConfigError, "Cannot parse c.yaml line");
  assertThrows(
    () => parseConfig("- a\n", "c.yaml"),
    ConfigError,
    "Cannot parse c.yaml: expected a mapping at the top level",
  );
});

Deno.test("withOverrides applies flags and validates them again", async (t) => {
  const base = parseConfig("upstream:\n  servers: [https://a:6443]\n");
  await t.step("valid overrides replace the file's values", () => {
    const cfg = withOverrides(base, {
      listen: "127.0.0.1:1",
      admin: "127.0.0.1:2",
      upstreams: ["https://b:6443", "https://c:6443"],
      kubeconfig: "/etc/kube.conf",
      cache: "/tmp/c.kv",
      logLevel: "debug",
    });
    assertEquals(cfg.listen, "127.0.0.1:1");
    assertEquals(cfg.admin, "127.0.0.1:2");
    assertEquals(cfg.upstream.servers, ["https://b:6443", "https://c:6443"]);
    assertEquals(cfg.upstream.kubeconfig, "/etc/kube.conf");
    assertEquals(cfg.cache.path, "/tmp/c.kv");
    assertEquals(cfg.logLevel, "debug");
    assertEquals(Object.isFrozen(cfg.upstream), true);
    assertEquals(base.upstream.servers, ["https://a:6443"]);
  });
  await t.step("unset or empty overrides keep the file's values", () => {
    assertEquals(withOverrides(base, {}), base);
    assertEquals(withOverrides(base, { upstreams: [] }).upstream.servers, ["https://a:6443"]);
  });
  await t.step("a bad flag names the key it sets", () => {
    assertThrows(
      () => withOverrides(base, { listen: "nope" }, "command line"),
      ConfigError,
      'Invalid command line: "listen": expected HOST:PORT',
    );
    assertThrows(
      () => withOverrides(base, { upstreams: ["https://b:6443", "b:6443"] }),
      ConfigError,
      '"upstream.servers[1]"',
    );
    assertThrows(() => withOverrides(base, { logLevel: "loud" }), ConfigError, '"logLevel"');
    assertThrows(() => withOverrides(base, { cache: "" }), ConfigError, '"cache.path"');
  });
});

Deno.test("loadConfig reads a file and names it in errors", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const good = `${dir}/good.yaml`;
    await Deno.writeTextFile(good, "listen: 127.0.0.1:9\n");
    assertEquals((await loadConfig(good)).listen, "127.0.0.1:9");
    const bad = `${dir}/bad.yaml`;
    await Deno.writeTextFile(bad, "admin: x\n");
    await assertRejects(() => loadConfig(bad), ConfigError, `Invalid ${bad}: "admin" (line 1)`);
    await assertRejects(
      () => loadConfig(`${dir}/missing.yaml`),
      ConfigError,
      `Cannot read config file "${dir}/missing.yaml"`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
