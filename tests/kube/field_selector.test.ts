import {
  fieldOf,
  type FieldRequirement,
  formatFieldSelector,
  matchFields,
  parseFieldSelector,
} from "../../src/kube/field_selector.ts";
import { assertEquals, assertThrows } from "../assert.ts";

Deno.test("parseFieldSelector reads =, == and != terms", async (t) => {
  const cases: [string, FieldRequirement[]][] = [
    ["", []],
    [" ", []],
    ["metadata.name=a", [{ field: "metadata.name", op: "=", value: "a" }]],
    ["metadata.name==a", [{ field: "metadata.name", op: "=", value: "a" }]],
    ["metadata.name!=a", [{ field: "metadata.name", op: "!=", value: "a" }]],
    ["spec.nodeName=", [{ field: "spec.nodeName", op: "=", value: "" }]],
    [
      "spec.nodeName=n1,metadata.namespace!=kube-system",
      [
        { field: "spec.nodeName", op: "=", value: "n1" },
        { field: "metadata.namespace", op: "!=", value: "kube-system" },
      ],
    ],
    ["a=x\\,y", [{ field: "a", op: "=", value: "x,y" }]],
    ["a=x\\=y", [{ field: "a", op: "=", value: "x=y" }]],
    ["a=x\\\\y", [{ field: "a", op: "=", value: "x\\y" }]],
    [
      "a=x\\,y,b!=\\=",
      [{ field: "a", op: "=", value: "x,y" }, { field: "b", op: "!=", value: "=" }],
    ],
    // The apiserver skips empty terms (fields.parseSelector), so a trailing comma is fine.
    ["a=1,", [{ field: "a", op: "=", value: "1" }]],
    [",a=1,,b=2", [{ field: "a", op: "=", value: "1" }, { field: "b", op: "=", value: "2" }]],
  ];
  for (const [input, want] of cases) {
    await t.step(JSON.stringify(input), () => {
      assertEquals(parseFieldSelector(input), want);
    });
  }
});

Deno.test("parseFieldSelector refuses bad terms with a RangeError quoting the selector", async (t) => {
  const cases: [string, string][] = [
    ["metadata.name", 'invalid term "metadata.name"'],
    ["=a", 'invalid term "=a"'],
    ["a=b,c", 'invalid term "c"'],
    ["a=b=c", 'unescaped "=" in "b=c"'],
    ["a==b=c", 'unescaped "=" in "b=c"'],
    ["a=x\\y", 'invalid escape in "x\\y"'],
    ["a=x\\", 'invalid escape in "x\\"'],
  ];
  for (const [input, reason] of cases) {
    await t.step(JSON.stringify(input), () => {
      const e = assertThrows(() => parseFieldSelector(input), RangeError, reason);
      assertEquals(e.message.startsWith(`Cannot parse field selector "${input}": `), true);
    });
  }
});

Deno.test("matchFields compares strings and treats a missing field as empty", async (t) => {
  const pod = {
    metadata: { name: "p", namespace: "a" },
    spec: { nodeName: "n1", hostNetwork: true, priority: 7 },
  };
  const get = (f: string) => fieldOf(pod, f);
  const cases: [string, boolean][] = [
    ["", true],
    ["metadata.name=p", true],
    ["metadata.name==p", true],
    ["metadata.name=q", false],
    ["metadata.name!=q", true],
    ["metadata.name!=p", false],
    ["spec.nodeName=n1,metadata.namespace=a", true],
    ["spec.nodeName=n1,metadata.namespace=b", false],
    ["spec.hostNetwork=true", true],
    ["spec.priority=7", true],
    ["status.phase=", true],
    ["status.phase!=", false],
    ["status.phase!=Running", true],
  ];
  for (const [sel, want] of cases) {
    await t.step(`${JSON.stringify(sel)} is ${want}`, () => {
      assertEquals(matchFields(parseFieldSelector(sel), get), want);
    });
  }
  await t.step("an escaped value matches the unescaped field", () => {
    assertEquals(matchFields(parseFieldSelector("a=x\\,y"), () => "x,y"), true);
  });
});

Deno.test("formatFieldSelector prints reordered selectors equally and re-escapes values", () => {
  const a = formatFieldSelector(parseFieldSelector("spec.nodeName=n1,metadata.name==p"));
  const b = formatFieldSelector(parseFieldSelector("metadata.name=p,spec.nodeName=n1"));
  assertEquals(a, "metadata.name=p,spec.nodeName=n1");
  assertEquals(b, a);
  const escaped = formatFieldSelector(parseFieldSelector("a=x\\,y\\=z\\\\"));
  assertEquals(escaped, "a=x\\,y\\=z\\\\");
  assertEquals(parseFieldSelector(escaped), [{ field: "a", op: "=", value: "x,y=z\\" }]);
  assertEquals(formatFieldSelector([]), "");
});

Deno.test("fieldOf reads dotted paths as strings", () => {
  const obj = { a: { b: "x", n: 3, f: false, o: { k: 1 }, nil: null } };
  assertEquals(fieldOf(obj, "a.b"), "x");
  assertEquals(fieldOf(obj, "a.n"), "3");
  assertEquals(fieldOf(obj, "a.f"), "false");
  assertEquals(fieldOf(obj, "a.o"), '{"k":1}');
  assertEquals(fieldOf(obj, "a.nil"), undefined);
  assertEquals(fieldOf(obj, "a.missing"), undefined);
  assertEquals(fieldOf(obj, "a.b.c"), undefined);
  assertEquals(fieldOf(null, "a"), undefined);
});
