/** @module The offline watch's bookmarks never move a client back or forward. */
import { assertEquals } from "../assert.ts";
import { bookmarkVersion } from "../../src/handlers/offline_watch.ts";

Deno.test("bookmarkVersion bookmarks the client's own resourceVersion, never the cache's progress", async (t) => {
  const cases: [string, string, string, string][] = [
    ["the cache is ahead: no false progress", "120", "100", "100"],
    ["the client is ahead of the cache: no step back", "100", "120", "120"],
    ["equal", "100", "100", "100"],
    ["no resourceVersion asked: the cache's", "100", "", "100"],
    ["resourceVersion 0 (any): the cache's", "100", "0", "100"],
  ];
  for (const [name, cached, requested, want] of cases) {
    await t.step(name, () => assertEquals(bookmarkVersion(cached, requested), want));
  }
});
