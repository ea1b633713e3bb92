import { assert, assertEquals } from "../assert.ts";
import { fingerprint, partitionOf } from "../../src/cache/partition.ts";
import { findCoveringEntry } from "../../src/cache/covering_entry.ts";
import { cmEntry, item, writeList } from "./_helpers.ts";

Deno.test("partitionOf takes the User-Agent's component, lower-cased and sanitised", async (t) => {
  const cases: [string, string][] = [
    ["kubelet/v1.30.2 (linux/amd64) kubernetes/abc", "kubelet:f"],
    ["kube-proxy/v1.30.2", "kube-proxy:f"],
    ["KubeCtl/v1.29", "kubectl:f"],
    ["coredns", "coredns:f"],
    ["weird agent:/x", "weird_agent_:f"],
    ["", "unknown:f"],
    ["/v1", "unknown:f"],
  ];
  for (const [ua, want] of cases) {
    await t.step(JSON.stringify(ua), () => assertEquals(partitionOf(ua, "f"), want));
  }
});

Deno.test("fingerprint hides the credential and tells credentials apart", async () => {
  const a = await fingerprint("Bearer secret-token-a");
  const b = await fingerprint("Bearer secret-token-b");
  assert(a !== b);
  assert(!a.includes("secret"));
  assertEquals(a, await fingerprint("Bearer secret-token-a"));
  assertEquals(await fingerprint(null), await fingerprint(""));
  assertEquals(a.length, 22);
});

Deno.test("A client never finds another partition's entries", async () => {
  const kv = await Deno.openKv(":memory:");
  const mine = partitionOf("kubelet/v1.30", await fingerprint("Bearer a"));
  const theirs = partitionOf("kubelet/v1.30", await fingerprint("Bearer b"));
  const proxy = partitionOf("kube-proxy/v1.30", await fingerprint("Bearer a"));
  await writeList(kv, await cmEntry(mine, ""), [item("default", "a", "1")], "1");
  const req = {
    resource: "configmaps",
    namespace: "default",
    labelSelector: [],
    fieldSelector: [],
  };
  assert(await findCoveringEntry(kv, mine, req));
  assertEquals(await findCoveringEntry(kv, theirs, req), null);
  assertEquals(await findCoveringEntry(kv, proxy, req), null);
  kv.close();
});
