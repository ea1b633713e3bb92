/**
 * @module Generated list and watch bodies in arbitrary chunkings (fast-check, fixed seed): the
 * streaming filters agree with the naive filter on every valid body, and on garbage or mutated
 * bytes end with their documented `TypeError`/`RangeError`, never another throw or a hang.
 */
import fc from "fast-check";
import { assert, assertEquals } from "../assert.ts";
import { ListFilterStream } from "../../src/filter/list_filter_stream.ts";
import { naiveFilterList, naiveFilterWatch } from "../../src/filter/naive_filter.ts";
import { WatchFilterStream } from "../../src/filter/watch_filter_stream.ts";
import { dec, enc, run, skipPrefix, splitAt } from "../filter/helpers.ts";

const PARAMS = { seed: 777, numRuns: 1500 };
const drop = skipPrefix();

const item = fc.record({
  metadata: fc.record({
    name: fc.oneof(fc.constantFrom("skip-a", "keep", "skip-", "sk"), fc.string({ maxLength: 8 })),
    labels: fc.option(fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }))),
  }, { requiredKeys: ["name"] }),
  data: fc.option(fc.jsonValue({ maxDepth: 3 })),
}, { requiredKeys: ["metadata"] });
const list = fc.record({
  kind: fc.constant("ConfigMapList"),
  apiVersion: fc.constant("v1"),
  metadata: fc.record({ resourceVersion: fc.string({ maxLength: 5 }) }),
  items: fc.array(item, { maxLength: 6 }),
  extra: fc.option(fc.jsonValue({ maxDepth: 2 })),
});
/** Cut offsets for a body of length `n`, as fractions so they shrink well. */
const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 });
function chunk(bytes: Uint8Array, fractions: number[]): Uint8Array[] {
  const at = [...new Set(fractions.map((f) => Math.floor(f * bytes.length)))].sort((a, b) => a - b);
  return splitAt(bytes, at);
}

/** Runs a stream over chunks, bounded in time: the result, or the error it ended with. */
async function outcome(
  chunks: Uint8Array[],
  stream: TransformStream<Uint8Array, Uint8Array>,
): Promise<Uint8Array | Error> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("stream hung")), 2000);
  });
  try {
    return await Promise.race([run(chunks, stream), hang]);
  } catch (e) {
    if (e instanceof TypeError || e instanceof RangeError) return e;
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

function naive<T>(f: () => T): T | Error {
  try {
    return f();
  } catch (e) {
    return e as Error;
  }
}

Deno.test("ListFilterStream equals the naive filter on generated lists in any chunking, compact or indented", async () => {
  await fc.assert(
    fc.asyncProperty(list, cuts, fc.boolean(), async (l, fr, indent) => {
      const body = enc.encode(JSON.stringify(l, null, indent ? 2 : undefined));
      const out = await outcome(chunk(body, fr), new ListFilterStream(drop));
      assert(!(out instanceof Error), `${out}`);
      const want = naiveFilterList(body, drop);
      if (indent) assertEquals(JSON.parse(dec.decode(out)), JSON.parse(dec.decode(want)));
      else assertEquals(dec.decode(out), dec.decode(want));
    }),
    PARAMS,
  );
});

/** A valid list body, then damaged: cut short, a byte changed, or a byte inserted. */
const damagedList = fc.tuple(list, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat(2)).map(
  ([l, at, byte, how]) => {
    const b = enc.encode(JSON.stringify(l));
    const i = at % (b.length + 1);
    if (how === 0) return b.slice(0, i);
    if (how === 1 && i < b.length) return b.map((x, k) => (k === i ? byte : x));
    return new Uint8Array([...b.subarray(0, i), byte, ...b.subarray(i)]);
  },
);

Deno.test("ListFilterStream on damaged or random bytes errors with TypeError or RangeError, never hangs, and keeps every valid body", async () => {
  const bytes = fc.oneof(damagedList, fc.uint8Array({ maxLength: 200 }));
  await fc.assert(
    fc.asyncProperty(bytes, cuts, async (body, fr) => {
      const out = await outcome(chunk(body, fr), new ListFilterStream(drop, { maxItemBytes: 64 }));
      const want = naive(() => naiveFilterList(body, drop));
      if (out instanceof Error || want instanceof Error) {
        // What JSON.parse accepts the scanner must too, unless an item broke its size limit.
        assert(want instanceof Error || out instanceof RangeError, `rejected valid: ${out}`);
        return;
      }
      assertEquals(JSON.parse(dec.decode(out)), JSON.parse(dec.decode(want)));
    }),
    { ...PARAMS, numRuns: 3000 },
  );
});

const event = fc.record({
  type: fc.constantFrom("ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"),
  object: item,
});

Deno.test("WatchFilterStream equals the naive filter on generated event streams in any chunking", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(event, { maxLength: 8 }),
      cuts,
      fc.boolean(),
      async (evs, fr, crlf) => {
        const text = evs.map((e) => JSON.stringify(e) + (crlf ? "\r\n" : "\n")).join("");
        const body = enc.encode(text);
        const out = await outcome(chunk(body, fr), new WatchFilterStream(drop));
        assert(!(out instanceof Error), `${out}`);
        const lines = (b: Uint8Array) =>
          dec.decode(b).split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
        assertEquals(lines(out), lines(naiveFilterWatch(body, drop)));
      },
    ),
    PARAMS,
  );
});

Deno.test("WatchFilterStream on damaged or random bytes errors with TypeError or RangeError, never hangs, and keeps every valid line", async () => {
  const damaged = fc.tuple(fc.array(event, { minLength: 1, maxLength: 4 }), fc.nat(), fc.nat(255))
    .map(([evs, at, byte]) => {
      const b = enc.encode(evs.map((e) => JSON.stringify(e) + "\n").join(""));
      const i = at % b.length;
      return b.map((x, k) => (k === i ? byte : x));
    });
  const bytes = fc.oneof(damaged, fc.uint8Array({ maxLength: 200 }));
  await fc.assert(
    fc.asyncProperty(bytes, cuts, async (body, fr) => {
      const out = await outcome(
        chunk(body, fr),
        new WatchFilterStream(drop, { maxLineBytes: 512 }),
      );
      // The naive filter lets an event without a string `type` or an `object` through; the
      // apiserver never sends one, so only streams of real events must be kept.
      const want = naive(() => {
        // Blank by JSON's whitespace, not String#trim's (a vertical tab is no JSON space).
        const events = dec.decode(body).split("\n").filter((l) => !/^[ \t\r]*$/.test(l));
        for (const e of events.map((l) => JSON.parse(l))) {
          if (typeof e?.type !== "string" || !Object.hasOwn(e, "object")) throw new TypeError();
        }
        return naiveFilterWatch(body, drop);
      });
      if (out instanceof Error || want instanceof Error) {
        assert(want instanceof Error || out instanceof RangeError, `rejected valid: ${out}`);
        return;
      }
      const lines = (b: Uint8Array) =>
        dec.decode(b).split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
      assertEquals(lines(out), lines(want));
    }),
    { ...PARAMS, numRuns: 3000 },
  );
});
