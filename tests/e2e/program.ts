/**
 * @module The real program (`src/main.ts`) as a child process for the tests that signal or
 * kill it: ports picked by the kernel and read from its "Serving" log line, so no other test
 * can take a port between choosing and binding it.
 */

/** A running edge-proxy process. */
export interface Program {
  url: string;
  adminUrl: string;
  child: Deno.ChildProcess;
  /** Everything the process wrote to stderr so far (its JSON log). */
  log(): string;
  /** Resolves with the whole log once stderr closed. */
  drained: Promise<string>;
  /** Sends `signal` (if still running), waits for the exit and returns the log. */
  kill(signal: Deno.Signal): Promise<string>;
}

/**
 * Starts `src/main.ts` with `--upstream upstream --cache cache` and any `extra` flags.
 *
 * @throws {Error} with the process's log when it did not serve within 15 s.
 */
export async function startProgram(
  upstream: string,
  cache: string,
  extra: string[] = [],
): Promise<Program> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "src/main.ts",
      "--listen=127.0.0.1:0",
      "--admin=127.0.0.1:0",
      `--upstream=${upstream}`,
      `--cache=${cache}`,
      ...extra,
    ],
    cwd: new URL("../../", import.meta.url).pathname,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let log = "";
  const serving = Promise.withResolvers<{ url: string; adminUrl: string } | null>();
  const drained = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      log += chunk;
      const line = log.split("\n").find((l) => l.includes("Serving the Kubernetes API"));
      if (line) serving.resolve(JSON.parse(line));
    }
    serving.resolve(null);
    return log;
  })();
  const kill = async (signal: Deno.Signal) => {
    try {
      child.kill(signal);
    } catch {
      // already exited
    }
    await child.status;
    return await drained;
  };
  const timer = setTimeout(() => serving.resolve(null), 15_000);
  const at = await serving.promise;
  clearTimeout(timer);
  if (!at) throw new Error(`The program did not start:\n${await kill("SIGKILL")}`);
  return { url: at.url, adminUrl: at.adminUrl, child, log: () => log, drained, kill };
}
