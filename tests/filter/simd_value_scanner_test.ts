/**
 * @module The SIMD scanner against the plain one: same ends at every chunk boundary, same errors
 * on garbage, state kept apart between scanners that take turns, and the committed WebAssembly
 * built from the committed .wat.
 */
import fc from "fast-check";
import { assert, assertEquals } from "../assert.ts";
import {
  type ItemScanner,
  itemScanner,
  simdKernelBytes,
  skipValueFast,
} from "../../src/filter/simd_value_scanner.ts";
import { skipValue } from "../../src/filter/json_bytes.ts";
import { ValueScanner } from "../../src/filter/value_scanner.ts";
import { chunkings, enc, splitAt } from "./helpers.ts";

/** Where in the chunks the value starting at chunks[0][0] ended, or the error message. */
function end(scanner: Pick<ItemScanner, "scan">, chunks: Uint8Array[]): string {
  try {
    for (let k = 0; k < chunks.length; k++) {
      if (chunks[k].length === 0) continue;
      const e = scanner.scan(chunks[k], 0);
      if (e >= 0) return `chunk ${k} at ${e}`;
    }
    return "ran out";
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`;
  }
}

function same(chunks: Uint8Array[], what: string): void {
  const simd = itemScanner();
  assert(!(simd instanceof ValueScanner), "the SIMD kernel loads here");
  assertEquals(end(simd, chunks), end(new ValueScanner(), chunks), what.slice(0, 120));
}

/** Strings around the 64-byte block edges: backslash runs, escaped quotes, brackets inside. */
function edgeCases(): string[] {
  const out: string[] = [];
  for (const pad of [0, 1, 30, 60, 61, 62, 63, 64, 65, 127]) {
    const p = "x".repeat(pad);
    out.push(`{"${p}\\\\":"\\"}]{["}`);
    out.push(`{"${p}\\\\\\"":[{"a":"\\\\"},"]"]}`);
    out.push(`{"a":"${p}\\u00e9\u00e9\\/","b":[[[]]],"c":{"d":"}"}}`);
  }
  out.push(`{"items":[{"items":[]}],"k":"${"\\\\".repeat(70)}"}`);
  out.push(`[1, true, null, -2.5e3, "s", {"a" : [ ] }]`);
  out.push(`{ "a" :\n\t{ "b" : [ 1 ,\r\n 2 ] } }`);
  return out;
}

Deno.test("SimdValueScanner ends each value where ValueScanner does, at every chunk boundary", () => {
  for (const text of edgeCases()) {
    // Bytes after the value must not move its end.
    const bytes = enc.encode(`${text},{"next":1}`);
    for (const chunks of chunkings(bytes, 5)) same(chunks, text);
  }
});

Deno.test("SimdValueScanner throws what ValueScanner throws on malformed values", () => {
  const bad = [
    `{"a":1]`,
    `[{"a":1}}`,
    `{"a":x}`,
    `{"a":1,\u0001}`,
    `{"a":"b"\\}`,
    `{"a":\u00e9}`,
    `{"a":${"[".repeat(10001)}`,
  ];
  for (const text of bad) {
    const bytes = enc.encode(text);
    same([bytes], text);
    same(splitAt(bytes, [Math.floor(bytes.length / 2)]), `${text} in two`);
  }
});

Deno.test("SimdValueScanner classifies every byte value outside a string as ValueScanner does", () => {
  for (let c = 0; c < 256; c++) {
    for (const at of [1, 17, 63, 64]) {
      const bytes = new Uint8Array(at + 2).fill(0x20);
      bytes[0] = 0x5b; // [
      bytes[at] = c;
      bytes[at + 1] = 0x5d; // ]
      same([bytes], `byte 0x${c.toString(16)} at ${at}`);
    }
  }
});

Deno.test("skipValueFast and skipValue both refuse nesting deeper than 10,000", () => {
  const throws = (f: () => number) => {
    try {
      return `returned ${f()}`;
    } catch (e) {
      return (e as Error).message;
    }
  };
  for (const depth of [10000, 10001]) {
    const b = enc.encode(`${"[".repeat(depth)}${"]".repeat(depth)}`);
    const plain = throws(() => skipValue(b, 0, b.length));
    assertEquals(throws(() => skipValueFast(b, 0, b.length)), plain, `depth ${depth}`);
    assertEquals(
      plain,
      depth === 10000 ? `returned ${2 * depth}` : "Malformed JSON: nesting too deep",
    );
  }
});

Deno.test("a buffer refilled after endChunk is scanned anew, not from the old copy", () => {
  const buf = enc.encode('{"a":"xxxxxxxx"}');
  const s = itemScanner();
  assertEquals(s.scan(buf, 0), 16);
  s.endChunk();
  buf.set(enc.encode('{"a":1} ,{"b":2}'));
  assertEquals(s.scan(buf, 0), 7);
});

Deno.test("SimdValueScanner agrees with ValueScanner on generated JSON and on garbage", () => {
  const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 });
  const chunk = (bytes: Uint8Array, fractions: number[]) =>
    splitAt(
      bytes,
      [...new Set(fractions.map((f) => Math.floor(f * bytes.length)))].sort((a, b) => a - b),
    );
  const value = fc.oneof(
    fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 })).map((v) =>
      JSON.stringify(v, null, 1)
    ),
    fc.array(fc.jsonValue({ maxDepth: 4 })).map((v) => JSON.stringify(v)),
  );
  fc.assert(
    fc.property(value, cuts, (text, at) => same(chunk(enc.encode(`${text}]`), at), text)),
    { seed: 4242, numRuns: 600 },
  );
  // Bytes from the structural alphabet, so escapes, strings and brackets collide at random.
  const garbage = fc.array(fc.constantFrom(...'{}[]"\\ a1,:\u00e9x'.split("")), { maxLength: 200 })
    .map((cs) => `{${cs.join("")}`);
  fc.assert(
    fc.property(garbage, cuts, (text, at) => same(chunk(enc.encode(text), at), text)),
    { seed: 4243, numRuns: 3000 },
  );
});

Deno.test("SimdValueScanner scans chunks far larger than its window in bounded memory", () => {
  // ~1.5 MB: strings with escapes and brackets, so window edges fall everywhere.
  const parts: string[] = [];
  for (let k = 0; k < 6000; k++) parts.push(`"k${k}":["\\\"${"y".repeat(k % 97)}]",{"z":[${k}]}]`);
  const text = `{${parts.join(",")}}`;
  const bytes = enc.encode(`${text},{}`);
  same([bytes], "one chunk");
  same(splitAt(bytes, [700_000]), "two chunks");
  assertEquals(skipValueFast(bytes, 0, bytes.length), skipValue(bytes, 0, bytes.length));
  assert(simdKernelBytes() < 1024 * 1024, `kernel memory ${simdKernelBytes()} bytes`);
});

Deno.test("SIMD scanners that take turns keep their own depth, string and escape state", () => {
  const a = enc.encode(`{"a":[[{"s":"x\\\\\\"y"}]],"b":{"c":[1]}}`);
  const b = enc.encode(`[[[{"t":"]}\\""}],[{}]]]`);
  const sa = itemScanner(), sb = itemScanner();
  // Cut where each is deep inside, in a string or right after a backslash.
  const ca = splitAt(a, [9, 15, 16, 30]), cb = splitAt(b, [5, 11, 13, 20]);
  const results: string[] = [];
  for (let k = 0; k < ca.length; k++) {
    const ea = sa.scan(ca[k], 0), eb = sb.scan(cb[k], 0);
    results.push(`${ea}/${eb}`);
  }
  const expected: string[] = [];
  const pa = new ValueScanner(), pb = new ValueScanner();
  for (let k = 0; k < ca.length; k++) expected.push(`${pa.scan(ca[k], 0)}/${pb.scan(cb[k], 0)}`);
  assertEquals(results, expected);
  assert(results.at(-1)!.split("/").every((e) => Number(e) >= 0), "both values ended");
});

Deno.test("simd_scan_wasm.ts is what simd_scan.wat builds to", async (t) => {
  // Spawning a missing program throws at once, not through the promise.
  let found = false;
  try {
    found = (await new Deno.Command("wat2wasm", { args: ["--version"] }).output()).success;
  } catch { /* not installed */ }
  if (!found) {
    console.log("skipped: wat2wasm not found (Debian package wabt)");
    return;
  }
  const res = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-run",
      "--allow-env",
      "deploy/build_wasm.ts",
      "--check",
    ],
    cwd: new URL("../..", import.meta.url).pathname,
    stderr: "piped",
  }).output();
  await t.step("deno task wasm --check", () => {
    assert(res.success, new TextDecoder().decode(res.stderr));
  });
});
