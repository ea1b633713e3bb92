import {
  formatLabelRequirement,
  formatLabelSelector,
  type LabelRequirement,
  matchLabels,
  parseLabelSelector,
} from "../../src/kube/label_selector.ts";
import { assertEquals, assertThrows } from "../assert.ts";

Deno.test("parseLabelSelector reads every operator", async (t) => {
  const cases: [string, LabelRequirement[]][] = [
    ["", []],
    ["   ", []],
    ["app=web", [{ key: "app", op: "=", values: ["web"] }]],
    ["app==web", [{ key: "app", op: "=", values: ["web"] }]],
    ["app!=web", [{ key: "app", op: "!=", values: ["web"] }]],
    ["app = web", [{ key: "app", op: "=", values: ["web"] }]],
    ["app=", [{ key: "app", op: "=", values: [""] }]],
    ["app", [{ key: "app", op: "exists", values: [] }]],
    ["!app", [{ key: "app", op: "!exists", values: [] }]],
    ["! app", [{ key: "app", op: "!exists", values: [] }]],
    ["tier in (a,b)", [{ key: "tier", op: "in", values: ["a", "b"] }]],
    ["tier in ( a , b )", [{ key: "tier", op: "in", values: ["a", "b"] }]],
    ["tier in(a)", [{ key: "tier", op: "in", values: ["a"] }]],
    ["tier notin (a, b)", [{ key: "tier", op: "notin", values: ["a", "b"] }]],
    // The apiserver's parser reads `()` as the set holding the empty value.
    ["tier in ()", [{ key: "tier", op: "in", values: [""] }]],
    ["tier in (a,)", [{ key: "tier", op: "in", values: ["a", ""] }]],
    ["example.com/app=web", [{ key: "example.com/app", op: "=", values: ["web"] }]],
    ["a.b_c-d=E.f_g-1", [{ key: "a.b_c-d", op: "=", values: ["E.f_g-1"] }]],
    [
      "app=web, tier in (a,b) ,!canary,env",
      [
        { key: "app", op: "=", values: ["web"] },
        { key: "tier", op: "in", values: ["a", "b"] },
        { key: "canary", op: "!exists", values: [] },
        { key: "env", op: "exists", values: [] },
      ],
    ],
  ];
  for (const [input, want] of cases) {
    await t.step(JSON.stringify(input), () => {
      assertEquals(parseLabelSelector(input), want);
    });
  }
});

Deno.test("parseLabelSelector refuses bad syntax with a RangeError quoting the selector", async (t) => {
  const cases: [string, string][] = [
    ["app=web,", "empty requirement"],
    [",app", "empty requirement"],
    ["app=web,,tier", "empty requirement"],
    ["app=a=b", 'invalid value "a=b"'],
    ["app=-web", 'invalid value "-web"'],
    ["app=" + "v".repeat(64), "invalid value"],
    ["-app=web", 'invalid key "-app"'],
    ["a/b/c=x", 'invalid key "a/b/c"'],
    ["app in (a", "invalid key"],
    ["app in (a b)", 'invalid value "a b"'],
    ["app in (a,-b)", 'invalid value "-b"'],
    ["app!", 'invalid key "app!"'],
    ["!", 'invalid key ""'],
  ];
  for (const [input, reason] of cases) {
    await t.step(JSON.stringify(input), () => {
      const e = assertThrows(() => parseLabelSelector(input), RangeError, reason);
      assertEquals(e.message.startsWith(`Cannot parse label selector "${input}": `), true);
    });
  }
  await t.step("a huge selector", () => {
    assertThrows(() => parseLabelSelector("a".repeat(70_000)), RangeError, "longer than");
  });
});

Deno.test("matchLabels applies every requirement", async (t) => {
  const labels = { app: "web", tier: "a", empty: "" };
  const cases: [string, Record<string, string> | undefined, boolean][] = [
    ["", labels, true],
    ["", undefined, true],
    ["app=web", labels, true],
    ["app==web", labels, true],
    ["app=db", labels, false],
    ["app!=db", labels, true],
    ["app!=web", labels, false],
    ["missing!=x", labels, true],
    ["missing=", labels, false],
    ["empty=", labels, true],
    ["tier in (a,b)", labels, true],
    ["tier in (b,c)", labels, false],
    ["missing in (a)", labels, false],
    ["tier notin (b)", labels, true],
    ["tier notin (a)", labels, false],
    ["missing notin (a)", labels, true],
    ["app", labels, true],
    ["empty", labels, true],
    ["missing", labels, false],
    ["!missing", labels, true],
    ["!app", labels, false],
    ["app=web,tier in (a),!missing", labels, true],
    ["app=web,tier in (b)", labels, false],
    ["app", undefined, false],
    ["!app", undefined, true],
    ["toString", {}, false],
  ];
  for (const [sel, l, want] of cases) {
    await t.step(`${JSON.stringify(sel)} on ${JSON.stringify(l)} is ${want}`, () => {
      assertEquals(matchLabels(parseLabelSelector(sel), l), want);
    });
  }
});

Deno.test("formatLabelSelector prints reordered selectors equally", async (t) => {
  const same: [string, string, string][] = [
    ["app=web,tier=a", "tier=a,app=web", "app=web,tier=a"],
    ["app==web", "app = web", "app=web"],
    ["t in (b,a)", "t in ( a , b )", "t in (a,b)"],
    ["t in (a,a,b)", "t in (b,a)", "t in (a,b)"],
    ["!x,y,z notin (q)", "z notin(q), y, ! x", "!x,y,z notin (q)"],
  ];
  for (const [a, b, canonical] of same) {
    await t.step(`${JSON.stringify(a)} and ${JSON.stringify(b)}`, () => {
      assertEquals(formatLabelSelector(parseLabelSelector(a)), canonical);
      assertEquals(formatLabelSelector(parseLabelSelector(b)), canonical);
    });
  }
  await t.step("the canonical text parses back to the same selector", () => {
    const text = formatLabelSelector(parseLabelSelector("b in (y,x),a!=1,!c,d"));
    assertEquals(formatLabelSelector(parseLabelSelector(text)), text);
  });
  await t.step("different selectors print differently", () => {
    assertEquals(
      formatLabelSelector(parseLabelSelector("a=b")) ===
        formatLabelSelector(parseLabelSelector("a!=b")),
      false,
    );
  });
});

Deno.test("formatLabelRequirement prints one requirement", () => {
  assertEquals(formatLabelRequirement({ key: "a", op: "exists", values: [] }), "a");
  assertEquals(formatLabelRequirement({ key: "a", op: "!exists", values: [] }), "!a");
  assertEquals(formatLabelRequirement({ key: "a", op: "!=", values: ["b"] }), "a!=b");
  assertEquals(
    formatLabelRequirement({ key: "a", op: "notin", values: ["c", "b"] }),
    "a notin (b,c)",
  );
});
