/**
 * @module Generated request lines for the classifier (fast-check, fixed seed): `requestInfo`
 * never throws, keeps the path as sent, and its fields are consistent with one another.
 */
import fc from "fast-check";
import { assert, assertEquals } from "../assert.ts";
import { requestInfo } from "../../src/kube/request_info.ts";

const PARAMS = { seed: 5151, numRuns: 5000 };

const segment = fc.oneof(
  fc.constantFrom(
    "api",
    "apis",
    "v1",
    "apps",
    "namespaces",
    "default",
    "pods",
    "configmaps",
    "watch",
    "proxy",
    "status",
    "finalize",
    "exec",
    "log",
    "",
    ".",
    "..",
    "%2e%2e",
    "%2E.",
    "%2F",
    "%zz",
    "%",
    "%00",
    "a%2Fb",
    "?",
    "#",
  ),
  fc.string({ maxLength: 6, unit: "binary" }),
);
const path = fc.array(segment, { maxLength: 9 }).map((s) => "/" + s.join("/"));
const query = fc.array(
  fc.tuple(
    fc.constantFrom("watch", "fieldSelector", "labelSelector", "limit", "x", "watch "),
    fc.oneof(
      fc.constantFrom("1", "0", "false", "True", "", "metadata.name=a", "metadata.name==..", "a\\"),
      fc.string({ maxLength: 12, unit: "binary" }),
    ),
  ),
  { maxLength: 4 },
).map((kv) => new URLSearchParams(kv).toString());
const method = fc.oneof(
  fc.constantFrom("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "get"),
  fc.stringMatching(/^[A-Za-z]{1,8}$/),
);

Deno.test("requestInfo classifies any method, path and query without throwing", () => {
  fc.assert(
    fc.property(method, path, query, (m, p, q) => {
      let url: URL;
      try {
        url = new URL(`http://127.0.0.1${p}?${q}`);
      } catch {
        return; // not a URL Deno.serve could hand the app
      }
      const info = requestInfo(m, url);
      assertEquals(info.path, url.pathname);
      if (!info.isResource) {
        assertEquals([info.apiPrefix, info.resource, info.namespace, info.name], ["", "", "", ""]);
        return;
      }
      assert(info.apiPrefix === "api" || info.apiPrefix === "apis");
      if (info.apiPrefix === "api") assertEquals(info.group, "");
      if (info.verb === "list" || info.verb === "watch") {
        assert(m.toUpperCase() === "GET" || m.toUpperCase() === "HEAD");
        // A name drawn from the field selector never walks out of its path segment.
        assert(!/[/%]/.test(info.name) && info.name !== "." && info.name !== "..", info.name);
      }
      assertEquals(typeof info.verb, "string");
    }),
    PARAMS,
  );
});

Deno.test("requestInfo of an absolute URL depends only on its path and query, never its host", () => {
  fc.assert(
    fc.property(method, path, query, fc.constantFrom("evil.example", "127.0.0.2:1", "[::1]"), (
      m,
      p,
      q,
      host,
    ) => {
      let a: URL, b: URL;
      try {
        a = new URL(`http://127.0.0.1${p}?${q}`);
        b = new URL(`http://${host}${p}?${q}`);
      } catch {
        return;
      }
      assertEquals(requestInfo(m, a), requestInfo(m, b));
    }),
    PARAMS,
  );
});
