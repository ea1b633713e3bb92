import { assert, assertEquals } from "./_assert.ts";
import { makeConfigMap } from "../../src/sim/fixtures.ts";
import { startSimApiserver } from "../../src/sim/sim_apiserver.ts";

const KUBECTL = "/usr/bin/kubectl";

function hasKubectl(): boolean {
  try {
    return Deno.statSync(KUBECTL).isFile;
  } catch {
    return false;
  }
}

Deno.test({
  name: "real kubectl gets, creates, labels, watches and deletes configmaps on the sim",
  async fn() {
    if (!hasKubectl()) {
      console.log(`Skipped: ${KUBECTL} not found`);
      return;
    }
    const sim = await startSimApiserver();
    const dir = await Deno.makeTempDir({ prefix: "sim-kubectl-" });
    try {
      for (let i = 0; i < 3; i++) sim.store.create("configmaps", makeConfigMap(i));
      const kubeconfig = `${dir}/kubeconfig`;
      await Deno.writeTextFile(
        kubeconfig,
        `apiVersion: v1
kind: Config
clusters: [{name: sim, cluster: {server: "${sim.url}"}}]
contexts: [{name: sim, context: {cluster: sim, namespace: default}}]
current-context: sim
users: []
`,
      );
      // Every run is bounded twice: kubectl's own --request-timeout and a kill after 20 s.
      const kubectl = async (...args: string[]) => {
        const out = await new Deno.Command(KUBECTL, {
          args: [
            "--kubeconfig",
            kubeconfig,
            "--cache-dir",
            `${dir}/cache`,
            "--request-timeout=5s",
            ...args,
          ],
          env: { HOME: dir, KUBECONFIG: kubeconfig },
          clearEnv: true,
          stdout: "piped",
          stderr: "piped",
          signal: AbortSignal.timeout(20_000),
        }).output();
        const text = new TextDecoder();
        return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
      };

      const get = await kubectl("get", "cm", "-n", "default");
      assertEquals(get.code, 0, get.stderr);
      assertEquals(get.stdout.split("\n")[0].split(/\s+/), ["NAME", "DATA", "AGE"]);
      assert(/^cm-0\s+2\s+\S+$/m.test(get.stdout), get.stdout);

      // kubectl's typed client POSTs this one as protobuf.
      const create = await kubectl("create", "configmap", "made-by-kubectl", "--from-literal=k=v");
      assertEquals(create.code, 0, create.stderr);
      assertEquals(sim.store.get("configmaps", "default", "made-by-kubectl").data, { k: "v" });

      const label = await kubectl("label", "cm", "made-by-kubectl", "tier=edge");
      assertEquals(label.code, 0, label.stderr);
      assertEquals(sim.store.get("configmaps", "default", "made-by-kubectl").metadata.labels, {
        tier: "edge",
      });
      const selected = await kubectl("get", "cm", "-l", "tier=edge", "-o", "name");
      assertEquals(selected.stdout.trim(), "configmap/made-by-kubectl");

      const watch = kubectl("get", "cm", "-w", "--request-timeout=2s");
      // Give the watch a moment to start, then change something it must report.
      await new Promise((r) => setTimeout(r, 700));
      sim.store.patch("configmaps", "default", "cm-1", "application/merge-patch+json", {
        data: { more: "x" },
      });
      const watched = await watch;
      assert(
        /^cm-1\s+3\s+/m.test(watched.stdout),
        `watch did not show the change:\n${watched.stdout}${watched.stderr}`,
      );

      const del = await kubectl("delete", "cm", "made-by-kubectl");
      assertEquals(del.code, 0, del.stderr);
      assertEquals(sim.store.getEntry("configmaps", "default", "made-by-kubectl"), undefined);
      const gone = await kubectl("get", "cm", "made-by-kubectl");
      assert(gone.stderr.includes('configmaps "made-by-kubectl" not found'), gone.stderr);
    } finally {
      await sim.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
