/**
 * @module Runs the real kubectl against a test stack's proxy. `KUBECTL` is undefined (and a
 * skip reason printed) where kubectl is not installed.
 */
import type { Stack } from "./harness.ts";

/** The kubectl binary, if installed. */
export const KUBECTL: string | undefined = ["/usr/bin/kubectl", "/usr/local/bin/kubectl"].find(
  (p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  },
);
if (!KUBECTL) console.log("kubectl tests skipped: no kubectl in /usr/bin or /usr/local/bin");

/** Writes a kubeconfig pointing at the stack's proxy with a fixed token. */
export async function kubeconfigFor(s: Stack): Promise<string> {
  const path = `${s.dir}/kubeconfig`;
  await Deno.writeTextFile(
    path,
    `apiVersion: v1
kind: Config
clusters: [{name: edge, cluster: {server: "${s.proxy.url}"}}]
users: [{name: edge, user: {token: kubectl-token}}]
contexts: [{name: edge, context: {cluster: edge, user: edge, namespace: default}}]
current-context: edge
`,
  );
  return path;
}

/** Runs kubectl with `args` (and `stdin`); resolves to its exit code and output. */
export async function kubectl(
  kubeconfig: string,
  args: string[],
  stdin?: string,
): Promise<{ code: number; out: string; err: string }> {
  const cmd = new Deno.Command(KUBECTL!, {
    args: ["--kubeconfig", kubeconfig, "--cache-dir", `${kubeconfig}.cache`, ...args],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = cmd.spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const r = await child.output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}
