/**
 * @module Test helper: the few assertions the sim tests use (no JSR here, so no @std/assert).
 */

/** Deep equality on JSON-like values, with a readable diff in the message. */
export function assertEquals(actual: unknown, expected: unknown, msg?: string): void {
  const a = JSON.stringify(sortKeys(actual));
  const e = JSON.stringify(sortKeys(expected));
  if (a !== e) {
    throw new Error(`${msg ? msg + ": " : ""}Values differ\n  actual:   ${a}\n  expected: ${e}`);
  }
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/** Throws unless `cond` is truthy. */
export function assert(cond: unknown, msg = "Assertion failed"): asserts cond {
  if (!cond) throw new Error(msg);
}

/** Calls `fn`, expects it to throw an instance of `cls`, returns the error. */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  cls: abstract new (...args: never[]) => E,
): E {
  try {
    fn();
  } catch (e) {
    if (e instanceof cls) return e;
    throw new Error(`Expected ${cls.name}, got ${e}`);
  }
  throw new Error(`Expected ${cls.name} to be thrown`);
}

/** Awaits `p`, expects a rejection, returns the error. */
export async function assertRejects(p: () => Promise<unknown>): Promise<unknown> {
  try {
    await p();
  } catch (e) {
    return e;
  }
  throw new Error("Expected a rejection");
}
