/**
 * The executable end to end as a subprocess: exit codes and the operator's one-line messages.
 */
import { HELP } from "../src/cli.ts";
import { assertEquals, assertMatch } from "./assert.ts";

const ROOT = new URL("../", import.meta.url);

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "src/main.ts", ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("edge-proxy --config with an unknown key exits 2 with one line naming the key", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/bad.yaml`;
    await Deno.writeTextFile(file, "upstream:\n  servers: []\n  servrs: []\n");
    const { code, stdout, stderr } = await run(["--config", file]);
    assertEquals(code, 2, stderr);
    assertEquals(stdout, "");
    assertEquals(stderr, `edge-proxy: Invalid ${file}: "upstream.servrs" (line 3): unknown key\n`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("edge-proxy with an unknown flag exits 2 with one line naming it", async () => {
  const { code, stderr } = await run(["--bogus"]);
  assertEquals(code, 2, stderr);
  assertMatch(stderr, /^edge-proxy: [^\n]*'--bogus'[^\n]*\n$/);
});

Deno.test("edge-proxy --help prints the help and exits 0", async () => {
  const { code, stdout, stderr } = await run(["--help"]);
  assertEquals(code, 0, stderr);
  assertEquals(stdout, HELP + "\n");
});
