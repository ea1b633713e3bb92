/**
 * @module `spawnReporting()`: starts a helper process of the benchmarks (the simulated
 * apiserver, the naive proxy) and waits for the one line it prints once it listens.
 */

/** A spawned helper and the first line it printed. */
export interface Reporting {
  line: string;
  stop(): Promise<void>;
}

/** Runs `deno run <args>`; resolves with its first stdout line. */
export async function spawnReporting(args: string[]): Promise<Reporting> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...args],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let line = "";
  while (!line.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${args.at(-1)}: exited before listening`);
    line += value;
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  return {
    line: line.trim(),
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}
