/**
 * @module Generated requests through a running proxy in front of the simulated apiserver
 * (fast-check, fixed seed), online and offline: every refusal a client gets is a `Status`,
 * never a 500, and the upstream stays up for everyone else.
 */
import fc from "fast-check";
import { assert, assertEquals } from "../assert.ts";
import { startStack } from "../e2e/harness.ts";
import { rawRequest } from "../e2e/scripted_upstream.ts";

const dec = new TextDecoder();

const segment = fc.oneof(
  fc.constantFrom(
    "api",
    "apis",
    "v1",
    "apps",
    "namespaces",
    "default",
    "configmaps",
    "pods",
    "skip-a",
    "watch",
    "status",
    "..",
    "%2e%2e",
    "%2F",
    "%zz",
    "",
  ),
  fc.stringMatching(/^[-a-zA-Z0-9._~%]{1,6}$/),
);
const path = fc.oneof(
  fc.array(segment, { maxLength: 7 }).map((s) => "/" + s.join("/")),
  fc.tuple(
    fc.constantFrom("/api/v1", "/api/v1/namespaces/default", "/apis/apps/v1/namespaces/default"),
    fc.constantFrom("configmaps", "pods", "deployments", "secrets", "namespaces"),
    fc.array(segment, { maxLength: 2 }),
  ).map(([base, resource, rest]) => [base, resource, ...rest].join("/")),
);
const query = fc.array(
  fc.tuple(
    fc.constantFrom("watch", "labelSelector", "fieldSelector", "limit", "resourceVersion"),
    fc.oneof(
      fc.constantFrom("1", "0", "a=b", "a in (b", "!", "metadata.name=x", "-1", "abc", "a\\"),
      fc.string({ maxLength: 10 }),
    ),
  ),
  { maxLength: 3 },
).map((kv) => new URLSearchParams(kv).toString());
const method = fc.constantFrom("GET", "GET", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE");

Deno.test("generated requests through the proxy get an answer or a 4xx Status, never a 500, online and offline", async () => {
  const s = await startStack();
  try {
    // Cached lists, so that offline the proxy answers (and parses selectors) itself.
    for (const p of ["/api/v1/namespaces/default/configmaps", "/api/v1/configmaps"]) {
      const r = await fetch(`${s.proxy.url}${p}`);
      await r.body?.cancel();
    }
    for (const mode of ["online", "offline"] as const) {
      if (mode === "offline") s.link.setMode("refuse");
      await fc.assert(
        fc.asyncProperty(method, path, query, async (m, p, q) => {
          // A watch would stay open: ask for at most one event's worth of time.
          const r = await rawRequest(
            s.proxy.url,
            `${m} ${p}${q ? "?" + q : ""} HTTP/1.1\r\nHost: x\r\nContent-Length: 0`,
            { timeoutMs: 300 },
          ).catch(() => null);
          if (r === null || r.status < 400) return; // an answer, or a watch held open
          const what = `${mode} ${m} ${p}?${q} -> ${r.status}`;
          assert(r.status < 500 || (mode === "offline" && r.status === 503), what);
          if (r.body.length === 0 && m === "HEAD") return;
          const st = JSON.parse(dec.decode(r.body));
          assertEquals([st.kind, st.status, st.code], ["Status", "Failure", r.status], what);
        }),
        { seed: 9090, numRuns: 150 },
      );
      if (mode === "online") assert(s.proxy.pool.online(), "a request marked the upstream down");
    }
  } finally {
    await s.close();
  }
});
