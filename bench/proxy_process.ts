/**
 * @module The proxy as a separate process for the benchmarks, so its RSS, CPU time and disk
 * writes are its own: start it with a config, wait for /readyz, read /proc, stop it.
 */

/** A running proxy process. */
export interface ProxyProcess {
  url: string;
  adminUrl: string;
  pid: number;
  /** Resident set size now, and the peak so far (VmHWM), in MB. */
  rss(): { now: number; peak: number };
  /** Bytes this process caused to be written to storage (/proc/PID/io write_bytes). */
  writeBytes(): number;
  /** CPU seconds used (user + system) from /proc/PID/stat. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

let nextPort = 19300;

/**
 * The runtime flags of `deno task start` that tune the runtime (`--v8-flags=…`,
 * `--no-code-cache`): every flag but the permissions, which are given below. Read from
 * deno.json so the benchmark measures the proxy exactly as it is started in production.
 */
export const START_RUNTIME_FLAGS: readonly string[] = (() => {
  const json = JSON.parse(Deno.readTextFileSync(new URL("../deno.json", import.meta.url)));
  return String(json.tasks.start).split(/\s+/).filter((a) =>
    a.startsWith("--") && !a.startsWith("--allow-")
  );
})();

function procField(pid: number, file: string, key: string): number {
  const text = Deno.readTextFileSync(`/proc/${pid}/${file}`);
  const m = new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(text);
  return m ? Number(m[1]) : NaN;
}

/** Starts `deno run src/main.ts` with `config` (YAML text); resolves once /readyz answers. */
export async function startProxyProcess(
  config: string,
  upstream: string,
  runFlags: readonly string[] = START_RUNTIME_FLAGS,
): Promise<ProxyProcess> {
  const dir = await Deno.makeTempDir({ prefix: "edge-proxy-bench-" });
  await Deno.writeTextFile(`${dir}/config.yaml`, config);
  const port = nextPort++;
  const adminPort = nextPort++;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      ...runFlags,
      new URL("../src/main.ts", import.meta.url).pathname,
      "--config",
      `${dir}/config.yaml`,
      "--listen",
      `127.0.0.1:${port}`,
      "--admin",
      `127.0.0.1:${adminPort}`,
      "--upstream",
      upstream,
      "--cache",
      `${dir}/cache.kv`,
      "--log-level",
      "warning",
    ],
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const until = Date.now() + 20_000;
  for (;;) {
    try {
      const r = await fetch(`${adminUrl}/readyz`);
      await r.body?.cancel();
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error("proxy did not become ready in 20 s");
    await new Promise((r) => setTimeout(r, 50));
  }
  const pid = child.pid;
  return {
    url: `http://127.0.0.1:${port}`,
    adminUrl,
    pid,
    rss: () => ({
      now: procField(pid, "status", "VmRSS") / 1024,
      peak: procField(pid, "status", "VmHWM") / 1024,
    }),
    writeBytes: () => procField(pid, "io", "write_bytes"),
    cpuSeconds() {
      const f = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ");
      // Fields 14 and 15 (utime, stime) counted from the state field at index 0 → 11, 12.
      return (Number(f[11]) + Number(f[12])) / 100;
    },
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
