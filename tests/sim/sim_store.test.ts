import { assert, assertEquals, assertThrows } from "./_assert.ts";
import { KubeStatusError } from "../../src/kube/status.ts";
import { makeConfigMap } from "../../src/sim/fixtures.ts";
import { type SimEvent, SimStore } from "../../src/sim/sim_store.ts";

function code(fn: () => unknown): number {
  const e = assertThrows(fn, KubeStatusError);
  return (e as KubeStatusError).status.code;
}

function names(list: { items: { metadata: { name?: string } }[] }): string[] {
  return list.items.map((i) => i.metadata.name ?? "");
}

Deno.test("SimStore starts with the default namespaces unless told otherwise", () => {
  assertEquals(names(new SimStore().list("namespaces")), [
    "default",
    "kube-node-lease",
    "kube-public",
    "kube-system",
  ]);
  const empty = new SimStore({ namespaces: [] });
  assertEquals(empty.resourceVersion, 0);
  assertEquals(empty.list("namespaces").items, []);
});

Deno.test("SimStore create sets resourceVersion, uid and creationTimestamp in Go key order", () => {
  const s = new SimStore({ namespaces: [] });
  const cm = s.create("configmaps", makeConfigMap(1));
  assertEquals(cm.metadata.resourceVersion, "1");
  assertEquals(s.resourceVersion, 1);
  assert(/^[0-9a-f-]{36}$/.test(cm.metadata.uid ?? ""));
  assert(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(cm.metadata.creationTimestamp ?? ""));
  assertEquals(Object.keys(cm).slice(0, 3), ["kind", "apiVersion", "metadata"]);
  assertEquals(Object.keys(cm.metadata), [
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "labels",
  ]);
  assertEquals(s.get("configmaps", "default", "cm-1"), cm);
});

Deno.test("SimStore create rejects duplicates with 409 and missing names with 422", () => {
  const s = new SimStore({ namespaces: [] });
  s.create("configmaps", makeConfigMap(1));
  const e = assertThrows(() => s.create("configmaps", makeConfigMap(1)), KubeStatusError);
  assertEquals(e.status.reason, "AlreadyExists");
  assertEquals(e.status.message, 'configmaps "cm-1" already exists');
  assertEquals(e.status.details, { name: "cm-1", kind: "configmaps" });
  assertEquals(code(() => s.create("configmaps", { metadata: {} })), 422);
  assertEquals(code(() => s.create("configmaps", { metadata: { name: "Bad_Name" } })), 422);
  assertEquals(code(() => s.create("widgets", { metadata: { name: "a" } })), 404);
});

Deno.test("SimStore create honours generateName", () => {
  const s = new SimStore({ namespaces: [] });
  const cm = s.create("configmaps", { metadata: { generateName: "gen-" } });
  assert(/^gen-[a-z0-9]{5}$/.test(cm.metadata.name ?? ""));
});

Deno.test("SimStore update conflicts on a stale resourceVersion and skips no-op writes", () => {
  const s = new SimStore({ namespaces: [] });
  const cm = s.create("configmaps", makeConfigMap(1));
  const next = s.update("configmaps", { ...cm, data: { k: "v" } });
  assertEquals(next.metadata.resourceVersion, "2");
  assertEquals(next.metadata.uid, cm.metadata.uid);
  const e = assertThrows(
    () => s.update("configmaps", { ...cm, data: { k: "w" } }),
    KubeStatusError,
  );
  assertEquals(e.status.code, 409);
  assertEquals(e.status.reason, "Conflict");
  const same = s.update("configmaps", next);
  assertEquals(same.metadata.resourceVersion, "2");
  assertEquals(s.resourceVersion, 2);
  assertEquals(code(() => s.update("configmaps", makeConfigMap(9))), 404);
});

Deno.test("SimStore patch applies merge, strategic and JSON patches", () => {
  const s = new SimStore({ namespaces: [] });
  s.create("configmaps", makeConfigMap(1));
  s.patch("configmaps", "default", "cm-1", "application/merge-patch+json", {
    metadata: { labels: { a: "1", app: null } },
  });
  assertEquals(s.get("configmaps", "default", "cm-1").metadata.labels, { a: "1" });
  s.patch("configmaps", "default", "cm-1", "application/strategic-merge-patch+json", {
    metadata: { labels: { b: "2" } },
    $setElementOrder: [],
  });
  s.patch("configmaps", "default", "cm-1", "application/json-patch+json", [
    { op: "replace", path: "/data/index", value: "x" },
    { op: "add", path: "/data/new~1key", value: "y" },
    { op: "remove", path: "/metadata/labels/a" },
  ]);
  const cm = s.get("configmaps", "default", "cm-1");
  assertEquals(cm.metadata.labels, { b: "2" });
  assertEquals((cm.data as Record<string, string>).index, "x");
  assertEquals((cm.data as Record<string, string>)["new/key"], "y");
  assertEquals(
    code(() =>
      s.patch("configmaps", "default", "cm-1", "application/json-patch+json", [
        { op: "remove", path: "/data/missing" },
      ])
    ),
    422,
  );
  assertEquals(
    code(() =>
      s.patch("configmaps", "default", "cm-1", "application/merge-patch+json", {
        metadata: { resourceVersion: "1" },
      })
    ),
    409,
  );
});

Deno.test("SimStore delete returns the object and checks preconditions", () => {
  const s = new SimStore({ namespaces: [] });
  const cm = s.create("configmaps", makeConfigMap(1));
  assertEquals(
    code(() => s.delete("configmaps", "default", "cm-1", { preconditions: { uid: "other" } })),
    409,
  );
  assertEquals(s.delete("configmaps", "default", "cm-1", { dryRun: true }), cm);
  assertEquals(s.delete("configmaps", "default", "cm-1"), cm);
  assertEquals(code(() => s.get("configmaps", "default", "cm-1")), 404);
  assertEquals(code(() => s.delete("configmaps", "default", "cm-1")), 404);
});

Deno.test("SimStore list sorts by namespace/name and filters by namespace and selectors", async (t) => {
  const s = new SimStore({ namespaces: [] });
  for (const ns of ["b", "a"]) {
    for (const i of [2, 1]) s.create("configmaps", makeConfigMap(i, { namespace: ns }));
  }
  const cases: [string, Parameters<SimStore["list"]>[1], string[]][] = [
    ["all namespaces", {}, ["a/cm-1", "a/cm-2", "b/cm-1", "b/cm-2"]],
    ["one namespace", { namespace: "b" }, ["b/cm-1", "b/cm-2"]],
    ["label =", { labelSelector: "app=app-1" }, ["a/cm-1", "b/cm-1"]],
    ["label notin", { labelSelector: "app notin (app-1)" }, ["a/cm-2", "b/cm-2"]],
    ["field ==", { fieldSelector: "metadata.name==cm-2" }, ["a/cm-2", "b/cm-2"]],
    ["field !=", { fieldSelector: "metadata.namespace!=a" }, ["b/cm-1", "b/cm-2"]],
  ];
  for (const [name, opts, want] of cases) {
    await t.step(name, () => {
      const got = s.list("configmaps", opts).items.map((i) =>
        `${i.metadata.namespace}/${i.metadata.name}`
      );
      assertEquals(got, want);
    });
  }
  await t.step("bad selectors are 400", () => {
    assertEquals(code(() => s.list("configmaps", { labelSelector: "a in (" })), 400);
    assertEquals(code(() => s.list("configmaps", { fieldSelector: "spec.nodeName=x" })), 400);
  });
});

Deno.test("SimStore list supports pod field selectors spec.nodeName and status.phase", () => {
  const s = new SimStore({ namespaces: [] });
  s.create("pods", {
    metadata: { name: "p1" },
    spec: { nodeName: "n1" },
    status: { phase: "Running" },
  });
  s.create("pods", {
    metadata: { name: "p2" },
    spec: { nodeName: "n2" },
    status: { phase: "Pending" },
  });
  assertEquals(names(s.list("pods", { fieldSelector: "spec.nodeName=n1" })), ["p1"]);
  assertEquals(names(s.list("pods", { fieldSelector: "status.phase!=Running" })), ["p2"]);
  s.create("secrets", { metadata: { name: "s" }, type: "kubernetes.io/tls" });
  assertEquals(names(s.list("secrets", { fieldSelector: "type=kubernetes.io/tls" })), ["s"]);
});

Deno.test("SimStore list pages with limit and continue at the first page's resourceVersion", () => {
  const s = new SimStore({ namespaces: [] });
  for (let i = 0; i < 5; i++) s.create("configmaps", makeConfigMap(i));
  const p1 = s.list("configmaps", { limit: 2 });
  assertEquals(names(p1), ["cm-0", "cm-1"]);
  assertEquals(p1.metadata.remainingItemCount, 3);
  const rv = p1.metadata.resourceVersion;
  // Changes after the first page must not show in later pages.
  s.delete("configmaps", "default", "cm-2");
  s.create("configmaps", makeConfigMap(22));
  const p2 = s.list("configmaps", { limit: 2, continue: p1.metadata.continue as string });
  assertEquals(names(p2), ["cm-2", "cm-3"]);
  assertEquals(p2.metadata.resourceVersion, rv);
  const p3 = s.list("configmaps", { limit: 2, continue: p2.metadata.continue as string });
  assertEquals(names(p3), ["cm-4"]);
  assertEquals(p3.metadata.continue, undefined);
  assertEquals(code(() => s.list("configmaps", { continue: "garbage" })), 400);
});

Deno.test("SimStore list with a selector and limit pages without remainingItemCount", () => {
  const s = new SimStore({ namespaces: [] });
  for (let i = 0; i < 6; i++) {
    s.create("configmaps", makeConfigMap(i, { labels: { odd: String(i % 2) } }));
  }
  const p1 = s.list("configmaps", { limit: 2, labelSelector: "odd=1" });
  assertEquals(names(p1), ["cm-1", "cm-3"]);
  assertEquals(p1.metadata.remainingItemCount, undefined);
  const p2 = s.list("configmaps", {
    limit: 2,
    labelSelector: "odd=1",
    continue: p1.metadata.continue as string,
  });
  assertEquals(names(p2), ["cm-5"]);
  assertEquals(p2.metadata.continue, undefined);
});

Deno.test("SimStore continue from a compacted resourceVersion is 410 Expired", () => {
  const s = new SimStore({ namespaces: [] });
  for (let i = 0; i < 3; i++) s.create("configmaps", makeConfigMap(i));
  const p1 = s.list("configmaps", { limit: 1 });
  s.create("configmaps", makeConfigMap(9));
  s.compact();
  const e = assertThrows(
    () => s.list("configmaps", { limit: 1, continue: p1.metadata.continue as string }),
    KubeStatusError,
  );
  assertEquals([e.status.code, e.status.reason], [410, "Expired"]);
});

Deno.test("SimStore list at an exact resourceVersion sees the past; too old is 410, future is 504", () => {
  const s = new SimStore({ namespaces: [] });
  s.create("configmaps", makeConfigMap(1));
  s.create("configmaps", makeConfigMap(2));
  s.patch("configmaps", "default", "cm-1", "application/merge-patch+json", { data: { v: "new" } });
  const past = s.list("configmaps", { resourceVersion: "1", resourceVersionMatch: "Exact" });
  assertEquals(names(past), ["cm-1"]);
  assertEquals(past.items[0].metadata.resourceVersion, "1");
  assertEquals(names(s.list("configmaps", { resourceVersion: "1" })), ["cm-1", "cm-2"]);
  assertEquals(code(() => s.list("configmaps", { resourceVersion: "99" })), 504);
  s.compact();
  assertEquals(
    code(() => s.list("configmaps", { resourceVersion: "1", resourceVersionMatch: "Exact" })),
    410,
  );
  assertEquals(names(s.list("configmaps", { resourceVersion: "0" })), ["cm-1", "cm-2"]);
});

Deno.test("SimStore watch from a compacted resourceVersion gets 410 and history is bounded", () => {
  const s = new SimStore({ historyLimit: 4, namespaces: [] });
  for (let i = 0; i < 10; i++) s.create("configmaps", makeConfigMap(i));
  assert(s.oldestResourceVersion > 0);
  assertEquals(code(() => s.watch("configmaps", 0, () => {})), 410);
  const h = s.watch("configmaps", 8, () => {});
  assertEquals(h.backlog.map((e) => e.rv), [9, 10]);
  h.stop();
  s.compact();
  assertEquals(code(() => s.watch("configmaps", 9, () => {})), 410);
  assertEquals(s.watcherCount, 0);
});

Deno.test("SimStore watch delivers later events in order and stop releases the watcher", () => {
  const s = new SimStore({ namespaces: [] });
  const seen: SimEvent[] = [];
  const h = s.watch("configmaps", s.resourceVersion, (e) => seen.push(e));
  assertEquals(s.watcherCount, 1);
  s.create("configmaps", makeConfigMap(1));
  s.patch("configmaps", "default", "cm-1", "application/merge-patch+json", { data: { a: "b" } });
  s.delete("configmaps", "default", "cm-1");
  s.create("secrets", { metadata: { name: "other" } });
  assertEquals(seen.map((e) => [e.type, e.rv]), [["ADDED", 1], ["MODIFIED", 2], ["DELETED", 3]]);
  // A DELETED event carries the last state stamped with the delete's resourceVersion.
  assertEquals(seen[2].entry.rv, 3);
  h.stop();
  assertEquals(s.watcherCount, 0);
});
