import { HELP, parseFlags } from "../src/cli.ts";
import { assertEquals, assertThrows } from "./assert.ts";

Deno.test("parseFlags gives defaults for no flags", () => {
  assertEquals(parseFlags([]), {
    config: undefined,
    listen: undefined,
    admin: undefined,
    upstreams: undefined,
    kubeconfig: undefined,
    cache: undefined,
    logLevel: undefined,
    help: false,
    version: false,
  });
});

Deno.test("parseFlags reads every flag, in both --flag value and --flag=value form", () => {
  const f = parseFlags([
    "--config",
    "/etc/edge.yaml",
    "--listen=127.0.0.1:1",
    "--admin",
    "127.0.0.1:2",
    "--kubeconfig",
    "/etc/kube.conf",
    "--cache",
    "/tmp/c.kv",
    "--log-level",
    "debug",
  ]);
  assertEquals(f.config, "/etc/edge.yaml");
  assertEquals(f.listen, "127.0.0.1:1");
  assertEquals(f.admin, "127.0.0.1:2");
  assertEquals(f.kubeconfig, "/etc/kube.conf");
  assertEquals(f.cache, "/tmp/c.kv");
  assertEquals(f.logLevel, "debug");
});

Deno.test("parseFlags collects a repeated --upstream in order", () => {
  const f = parseFlags(["--upstream", "https://a:6443", "--upstream=https://b:6443"]);
  assertEquals(f.upstreams, ["https://a:6443", "https://b:6443"]);
});

Deno.test("parseFlags reads --help, -h and --version", () => {
  assertEquals(parseFlags(["--help"]).help, true);
  assertEquals(parseFlags(["-h"]).help, true);
  assertEquals(parseFlags(["--version"]).version, true);
});

Deno.test("parseFlags refuses unknown flags and stray arguments with a one-line TypeError", async (t) => {
  const cases: [string[], string][] = [
    [["--bogus"], "'--bogus'"],
    [["--listen", "127.0.0.1:1", "--upstreams", "x"], "'--upstreams'"],
    [["extra"], "'extra'"],
    [["--config"], "'--config <value>' argument missing"],
    [["--help=yes"], "--help"],
  ];
  for (const [args, want] of cases) {
    await t.step(args.join(" "), () => {
      const e = assertThrows(() => parseFlags(args), TypeError, want);
      assertEquals(e.message.includes("\n"), false);
      assertEquals(e.message.endsWith("(see --help)"), true);
    });
  }
});

Deno.test("HELP lists every flag parseFlags accepts", () => {
  for (
    const flag of [
      "--config",
      "--listen",
      "--admin",
      "--upstream",
      "--kubeconfig",
      "--cache",
      "--log-level",
      "--help",
      "--version",
    ]
  ) {
    assertEquals(HELP.includes(flag), true, flag);
  }
});
