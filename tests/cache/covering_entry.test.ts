import { assertEquals } from "../assert.ts";
import { entryRef, type EntrySpec } from "../../src/cache/cache_keys.ts";
import { type CoverRequest, findCoveringEntry } from "../../src/cache/covering_entry.ts";
import { parseFieldSelector } from "../../src/kube/field_selector.ts";
import { parseLabelSelector } from "../../src/kube/label_selector.ts";
import { item, writeList } from "./_helpers.ts";

const P = "kubelet:fp";

function req(namespace: string, labels = "", fields = "", name?: string): CoverRequest {
  return {
    resource: "pods",
    namespace,
    labelSelector: parseLabelSelector(labels),
    fieldSelector: parseFieldSelector(fields),
    name,
  };
}

async function cache(kv: Deno.Kv, spec: Omit<EntrySpec, "resource">, rv = "1") {
  const entry = await entryRef(P, { resource: "pods", ...spec });
  await writeList(kv, entry, [item(spec.namespace || "a", spec.name ?? "p", "1")], rv);
  return entry;
}

Deno.test("findCoveringEntry picks an entry only when it holds every object asked for", async (t) => {
  const cases: {
    name: string;
    entries: Omit<EntrySpec, "resource">[];
    req: CoverRequest;
    want: string | null;
  }[] = [
    {
      name: "all-namespace entry covers a namespaced list",
      entries: [{ namespace: "" }],
      req: req("a"),
      want: "//",
    },
    {
      name: "namespaced entry does not cover all namespaces",
      entries: [{ namespace: "a" }],
      req: req(""),
      want: null,
    },
    {
      name: "other namespace does not cover",
      entries: [{ namespace: "b" }],
      req: req("a"),
      want: null,
    },
    {
      name: "broader label selector covers a narrower one",
      entries: [{ namespace: "a", labelSelector: parseLabelSelector("app=web") }],
      req: req("a", "tier=fe,app=web"),
      want: "a/app=web/",
    },
    {
      name: "narrower label selector does not cover a broader one",
      entries: [{ namespace: "a", labelSelector: parseLabelSelector("app=web,tier=fe") }],
      req: req("a", "app=web"),
      want: null,
    },
    {
      name: "different field selector does not cover",
      entries: [{ namespace: "", fieldSelector: parseFieldSelector("spec.nodeName=n1") }],
      req: req("", "", "spec.nodeName=n2"),
      want: null,
    },
    {
      name: "same field selector covers",
      entries: [{ namespace: "", fieldSelector: parseFieldSelector("spec.nodeName==n1") }],
      req: req("", "", "spec.nodeName=n1"),
      want: "//spec.nodeName=n1",
    },
    {
      name: "get-by-name entry covers that get",
      entries: [{ namespace: "a", name: "p1" }],
      req: req("a", "", "", "p1"),
      want: "a//metadata.name=p1",
    },
    {
      name: "get-by-name entry does not cover another name",
      entries: [{ namespace: "a", name: "p1" }],
      req: req("a", "", "", "p2"),
      want: null,
    },
    {
      name: "a labelled list does not cover a get",
      entries: [{ namespace: "a", labelSelector: parseLabelSelector("app=web") }],
      req: req("a", "", "", "p1"),
      want: null,
    },
    {
      name: "the narrowest covering entry wins",
      entries: [
        { namespace: "" },
        { namespace: "a" },
        { namespace: "a", labelSelector: parseLabelSelector("app=web") },
        { namespace: "b", labelSelector: parseLabelSelector("app=web") },
      ],
      req: req("a", "app=web,tier=fe"),
      want: "a/app=web/",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const kv = await Deno.openKv(":memory:");
      for (const e of c.entries) await cache(kv, e);
      const found = await findCoveringEntry(kv, P, c.req);
      const got = found
        ? `${found.meta.namespace}/${found.meta.labelSelector}/${found.meta.fieldSelector}`
        : null;
      assertEquals(got, c.want);
      kv.close();
    });
  }
});

Deno.test("findCoveringEntry reports the entry's age and ignores other resources", async () => {
  const kv = await Deno.openKv(":memory:");
  await cache(kv, { namespace: "" });
  const t0 = Date.now();
  const found = await findCoveringEntry(kv, P, req("a"), { now: () => t0 + 5000 });
  assertEquals(found !== null && found.ageMs >= 5000 && found.ageMs < 6000, true);
  assertEquals(await findCoveringEntry(kv, P, { ...req("a"), resource: "configmaps" }), null);
  kv.close();
});

Deno.test("findCoveringEntry prefers a newer broader entry to an older narrower one", async () => {
  const kv = await Deno.openKv(":memory:");
  await cache(kv, { namespace: "a", name: "p1" }, "5");
  await cache(kv, { namespace: "" }, "9");
  const get = await findCoveringEntry(kv, P, req("a", "", "", "p1"));
  assertEquals(get?.meta.resourceVersion, "9");
  await cache(kv, { namespace: "a" }, "9");
  const same = await findCoveringEntry(kv, P, req("a", "", "", "p1"));
  assertEquals(same?.meta.namespace, "a", "equally new: the narrower one");
  kv.close();
});
