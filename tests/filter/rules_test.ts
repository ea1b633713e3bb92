import { deepStrictEqual, strictEqual, throws } from "node:assert";
import { ObjectItemView } from "../../src/filter/object_item_view.ts";
import { compileRules, dropPredicateFor, type FilterRuleConfig } from "../../src/filter/rules.ts";

const pod = (name: string, namespace = "default", labels: Record<string, string> = {}, spec = {}) =>
  new ObjectItemView({ metadata: { name, namespace, labels }, spec });

Deno.test("compileRules names the rule and key of an invalid rule", async (t) => {
  const cases: [string, unknown[], string][] = [
    ["bad selector", [{ resources: ["pods"], drop: { namePrefix: "a" } }, {
      resources: ["pods"],
      drop: { labelSelector: "a in (" },
    }], `Invalid "filters[1].drop.labelSelector"`],
    ["empty drop", [{ resources: ["pods"], drop: {} }], `Invalid "filters[0].drop"`],
    [
      "unknown matcher",
      [{ resources: ["pods"], drop: { nameSuffix: "x" } }],
      `Invalid "filters[0].drop.nameSuffix"`,
    ],
    [
      "unknown key",
      [{ resources: ["pods"], action: "x", drop: { namePrefix: "x" } }],
      `Invalid "filters[0].action"`,
    ],
    ["no resources", [{ drop: { namePrefix: "x" } }], `Invalid "filters[0].resources"`],
    [
      "empty resource",
      [{ resources: [""], drop: { namePrefix: "x" } }],
      `Invalid "filters[0].resources[0]"`,
    ],
    [
      "bad field path",
      [{ resources: ["pods"], drop: { fields: { "spec..x": "1" } } }],
      `Invalid "filters[0].drop.fields.spec..x"`,
    ],
    [
      "field value object",
      [{ resources: ["pods"], drop: { fields: { "spec.x": {} } } }],
      `Invalid "filters[0].drop.fields.spec.x"`,
    ],
    [
      "empty namePrefix",
      [{ resources: ["pods"], drop: { namePrefix: "" } }],
      `Invalid "filters[0].drop.namePrefix"`,
    ],
  ];
  for (const [name, rules, message] of cases) {
    await t.step(name, () => {
      throws(() => compileRules(rules as FilterRuleConfig[]), (e: Error) => {
        strictEqual(e instanceof RangeError, true);
        strictEqual(e.message.startsWith(message), true, e.message);
        return true;
      });
    });
  }
});

Deno.test("dropPredicateFor requires every matcher of a rule to match", () => {
  const rules = compileRules([{
    resources: ["pods"],
    drop: {
      namePrefix: "skip-",
      labelSelector: "app=web,tier!=db",
      fields: { "spec.nodeName": "n1", "spec.prio": "3" },
    },
  }]);
  const drop = dropPredicateFor(rules, { resource: "pods", group: "", namespace: "x" }, "kubelet")!;
  const spec = { nodeName: "n1", prio: 3 };
  strictEqual(drop(pod("skip-a", "x", { app: "web" }, spec)), true);
  strictEqual(drop(pod("keep-a", "x", { app: "web" }, spec)), false);
  strictEqual(drop(pod("skip-a", "x", { app: "db" }, spec)), false);
  strictEqual(drop(pod("skip-a", "x", { app: "web", tier: "db" }, spec)), false);
  strictEqual(drop(pod("skip-a", "x", { app: "web" }, { nodeName: "n2", prio: 3 })), false);
  strictEqual(drop(pod("skip-a", "x", { app: "web" }, { nodeName: "n1", prio: "3" })), true);
  deepStrictEqual([...drop.fieldPaths].sort(), [
    "metadata.labels",
    "metadata.name",
    "spec.nodeName",
    "spec.prio",
  ]);
});

Deno.test("dropPredicateFor applies rules by resource, group, namespace and User-Agent", () => {
  const rules = compileRules([
    { resources: ["configmaps"], namespaces: ["kube-system"], drop: { namePrefix: "a" } },
    {
      resources: ["endpointslices.discovery.k8s.io"],
      userAgents: ["kube-proxy/"],
      drop: { namePrefix: "b" },
    },
    { resources: ["configmaps"], drop: { namePrefix: "c" } },
  ]);
  const cm = (namespace: string) => ({ resource: "configmaps", group: "", namespace });
  strictEqual(
    dropPredicateFor(rules, { resource: "secrets", group: "", namespace: "" }, "x"),
    null,
  );
  // Plain names are the core group only.
  strictEqual(
    dropPredicateFor(rules, { resource: "configmaps", group: "example.com", namespace: "" }, "x"),
    null,
  );
  const inOther = dropPredicateFor(rules, cm("default"), "x")!;
  strictEqual(inOther(pod("a1", "default")), false); // the kube-system rule does not apply here
  strictEqual(inOther(pod("c1", "default")), true);
  const inSystem = dropPredicateFor(rules, cm("kube-system"), "x")!;
  strictEqual(inSystem(pod("a1", "kube-system")), true);
  const all = dropPredicateFor(rules, cm(""), "x")!; // all namespaces: checked per object
  strictEqual(all(pod("a1", "kube-system")), true);
  strictEqual(all(pod("a1", "default")), false);
  strictEqual(all(pod("c1", "default")), true);
  const es = { resource: "endpointslices", group: "discovery.k8s.io", namespace: "" };
  strictEqual(dropPredicateFor(rules, es, "kubelet/v1.30"), null);
  strictEqual(dropPredicateFor(rules, es, "kube-proxy/v1.30 (linux)")!(pod("b1")), true);
});
