/** @module readAhead keeps order, bounds what it holds, passes errors on and stops cleanly. */
import { assert, assertEquals, assertRejects } from "../assert.ts";
import { readAhead } from "../../src/handlers/read_ahead.ts";

async function* numbers(n: number, log: number[], failAt = -1): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) {
    await Promise.resolve();
    if (i === failAt) throw new RangeError(`item ${i}`);
    log.push(i);
    yield i;
  }
}

async function drain<T>(it: AsyncIterator<T>): Promise<T[]> {
  const out: T[] = [];
  for (let r = await it.next(); !r.done; r = await it.next()) out.push(r.value);
  return out;
}

Deno.test("readAhead yields every item in order", async () => {
  const got = await drain(readAhead(numbers(100, []), () => 1, 10));
  assertEquals(got, Array.from({ length: 100 }, (_, i) => i));
});

Deno.test("readAhead reads no further ahead than its byte bound", async () => {
  const read: number[] = [];
  const it = readAhead(numbers(100, read), () => 10, 30);
  await it.next();
  await new Promise((r) => setTimeout(r, 20));
  // One taken, three held (30 bytes), and at most the one being added when the bound was hit.
  assert(read.length <= 5, `${read.length} read ahead`);
  await it.return!();
});

Deno.test("readAhead passes the source's error on after the items before it", async () => {
  const it = readAhead(numbers(10, [], 3), () => 1, 100);
  assertEquals([(await it.next()).value, (await it.next()).value, (await it.next()).value], [
    0,
    1,
    2,
  ]);
  await assertRejects(() => it.next(), RangeError, "item 3");
});

Deno.test("readAhead.return stops reading and returns the source", async () => {
  let returned = false;
  const source = numbers(1000, []);
  const it = readAhead(
    {
      next: () => source.next(),
      return: async () => {
        returned = true;
        return await source.return(undefined);
      },
    },
    () => 1,
    5,
  );
  await it.next();
  await it.return!();
  assert(returned);
  assertEquals((await it.next()).done, true);
});
