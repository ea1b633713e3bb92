/**
 * @module Generated label and field selectors (fast-check, fixed seed): the parsers either
 * return requirements that print and re-parse to the same thing or throw their documented
 * `RangeError`, and no input of the apiserver's size costs more than milliseconds.
 */
import fc from "fast-check";
import { assert, assertEquals } from "../assert.ts";
import {
  formatFieldSelector,
  matchFields,
  parseFieldSelector,
} from "../../src/kube/field_selector.ts";
import {
  formatLabelSelector,
  matchLabels,
  parseLabelSelector,
} from "../../src/kube/label_selector.ts";

const PARAMS = { seed: 4242, numRuns: 3000 };

/** Characters selectors are made of, weighted toward the ones the grammar cares about. */
const selectorChar = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(..."ab0-_./") },
  { weight: 4, arbitrary: fc.constantFrom(..."=!,() \\\t") },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 1, unit: "binary" }) },
);
const selectorText = fc.array(selectorChar, { maxLength: 40 }).map((a) => a.join(""));

const name = fc.stringMatching(/^[a-z0-9]([-a-z0-9_.]{0,8}[a-z0-9])?$/);
const labelKey = fc.tuple(
  fc.option(fc.stringMatching(/^[a-z0-9]([-a-z0-9.]{0,6}[a-z0-9])?$/)),
  name,
)
  .map(([p, n]) => (p ? `${p}/${n}` : n));
const labelReq = fc.oneof(
  fc.tuple(labelKey, fc.constantFrom("=", "==", "!="), fc.option(name)).map(
    ([k, op, v]) => `${k}${op}${v ?? ""}`,
  ),
  fc.tuple(labelKey, fc.constantFrom("in", "notin"), fc.array(name, { minLength: 1, maxLength: 3 }))
    .map(([k, op, vs]) => `${k} ${op} (${vs.join(",")})`),
  labelKey,
  labelKey.map((k) => `!${k}`),
);
const labels = fc.dictionary(labelKey, name, { maxKeys: 4 });

function rangeErrorOr<T>(f: () => T): T | RangeError {
  try {
    return f();
  } catch (e) {
    if (e instanceof RangeError) return e;
    throw e; // anything else would escape the handlers' 400 mapping as a 500
  }
}

Deno.test("parseLabelSelector on arbitrary text returns a selector that round-trips or throws RangeError", () => {
  fc.assert(
    fc.property(selectorText, (s) => {
      const sel = rangeErrorOr(() => parseLabelSelector(s));
      if (sel instanceof RangeError) return;
      const text = formatLabelSelector(sel);
      assertEquals(formatLabelSelector(parseLabelSelector(text)), text);
    }),
    PARAMS,
  );
});

Deno.test("parseLabelSelector accepts every generated valid selector and matches as its terms say", () => {
  fc.assert(
    fc.property(fc.array(labelReq, { minLength: 1, maxLength: 6 }), labels, (reqs, ls) => {
      const sel = parseLabelSelector(reqs.join(","));
      assertEquals(sel.length, reqs.length);
      // AND of the terms, each parsed alone.
      const each = reqs.every((r) => matchLabels(parseLabelSelector(r), ls));
      assertEquals(matchLabels(sel, ls), each);
      assertEquals(matchLabels(parseLabelSelector(formatLabelSelector(sel)), ls), each);
    }),
    PARAMS,
  );
});

Deno.test("parseFieldSelector on arbitrary text returns a selector that round-trips or throws RangeError", () => {
  fc.assert(
    fc.property(selectorText, (s) => {
      const sel = rangeErrorOr(() => parseFieldSelector(s));
      if (sel instanceof RangeError) return;
      const text = formatFieldSelector(sel);
      assertEquals(formatFieldSelector(parseFieldSelector(text)), text);
    }),
    PARAMS,
  );
});

Deno.test("parseFieldSelector escapes round-trip any value, and matchFields compares it exactly", () => {
  const value = fc.string({ maxLength: 12, unit: fc.constantFrom(..."a,=\\!x-") });
  fc.assert(
    fc.property(name, value, (field, v) => {
      const text = formatFieldSelector([{ field, op: "=", value: v }]);
      const sel = parseFieldSelector(text);
      assertEquals(sel, [{ field, op: "=", value: v }]);
      assert(matchFields(sel, (f) => (f === field ? v : undefined)));
    }),
    PARAMS,
  );
});

Deno.test("selectors of the apiserver's size parse in milliseconds whatever their shape", async (t) => {
  const N = 60_000;
  const shapes: Record<string, string> = {
    "spaces between two words": "a" + " ".repeat(N) + "b",
    "a run of tabs before an operator": "a" + "\t".repeat(N) + "=b",
    "10,000 equality terms": Array.from({ length: 10_000 }, (_, i) => `k${i % 100}=v`).join(","),
    "one set of many values": "k in (" + "v,".repeat(N / 2) + "v)",
    "unbalanced parentheses": "(".repeat(N),
    "backslashes": "a=" + "\\".repeat(N),
    "bangs": "!".repeat(N),
    "commas": ",".repeat(N),
  };
  for (const [shape, s] of Object.entries(shapes)) {
    await t.step(shape, () => {
      for (const parse of [parseLabelSelector, parseFieldSelector]) {
        const start = performance.now();
        rangeErrorOr(() => parse(s));
        const ms = performance.now() - start;
        assert(ms < 250, `${parse.name} took ${ms.toFixed(0)} ms on ${shape}`);
      }
    });
  }
});
