/**
 * @module The upstream answers with bad data: malformed JSON, a list whose `items` is not an
 * array, a watch event line over 16 MB, a 410 `ERROR` event, a load balancer's HTML 502 page.
 * The proxy never crashes, logs a line naming the request, gives the client a `Status` wherever
 * its headers have not gone out yet, and caches nothing of it.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { waitFor } from "../e2e/harness.ts";
import { kubeFetch, kubeJson, names } from "../e2e/kube_client.ts";
import { assertFromCache, waitCommitted } from "../e2e/offline_helpers.ts";
import {
  captureLogs,
  configMap,
  configMapList,
  type RawOut,
  readBody,
  startFaultProxy,
  startFaultUpstream,
} from "./fault_upstream.ts";

const NS = "/api/v1/namespaces";
const GOOD_LIST = configMapList([configMap("a", 10), configMap("b", 10)], 10);
const EXPIRED = JSON.stringify({
  kind: "Status",
  apiVersion: "v1",
  metadata: {},
  status: "Failure",
  message: "too old resource version: 1 (10)",
  reason: "Expired",
  code: 410,
});
const HTML_502 =
  "<html><head><title>502 Bad Gateway</title><style>h1{}</style></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";

/** What the stand-in answers, by namespace; `default` is a good list and its watch. */
async function answer(ns: string, name: string | undefined, watch: boolean, out: RawOut) {
  const json = "application/json";
  if (ns === "html-502") {
    await out.head(502, "text/html");
    return await out.chunk(HTML_502), await out.end();
  }
  if (ns === "text-503") {
    await out.write(
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nRetry-After: 7\r\nContent-Length: 19\r\nConnection: close\r\n\r\nno healthy upstream",
    );
    return;
  }
  if (ns === "gone-410") {
    // An HTTP 410 before any event: the apiserver's own Status, passed through as it is.
    await out.head(410, json);
    return await out.chunk(EXPIRED), await out.end();
  }
  await out.head(200, json);
  if (watch) {
    await out.chunk(`{"type":"ADDED","object":${configMap("c", 11)}}\n`);
    if (ns === "default") {
      // A 410 ERROR event: the client must relist; nothing of it is cached.
      await out.chunk(`{"type":"ERROR","object":${EXPIRED}}\n`);
    } else if (ns === "huge-line") {
      const big = "x".repeat(1024 * 1024);
      await out.chunk(
        `{"type":"MODIFIED","object":{"metadata":{"name":"a","namespace":"huge-line"`,
      );
      for (let i = 0; i < 17 && !out.gone; i++) await out.chunk(`,"f${i}":"${big}"`);
      await out.chunk(`}}\n`);
    } else {
      await out.chunk(`{"type":"MODIFIED","object":{"metadata":{"name":}}\n`);
    }
    return await out.end();
  }
  const bad: Record<string, string> = {
    "bad-json":
      `{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"5"},"items":[${
        configMap("a", 5)
      } ${configMap("b", 5)}]}`,
    "items-not-array":
      '{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"5"},"items":{"a":1}}',
  };
  if (ns === "default") await out.chunk(name ? configMap(name, 10) : GOOD_LIST);
  else await out.chunk(name ? configMap(name, 5).replace(`"k":`, `"k"`) : bad[ns]);
  await out.end();
}

Deno.test("bad upstream data gets a logged error and a Status or a cut response, and is never cached", async (t) => {
  await captureLogs(async (logs) => {
    const up = await startFaultUpstream(async (req, out) => {
      if (req.url.pathname === "/livez") {
        await out.head(500, "text/plain");
        return await out.chunk("[-]etcd failed: reason withheld\n"), await out.end();
      }
      const [, , , , ns, , name] = req.url.pathname.split("/");
      return answer(ns, name, req.url.searchParams.get("watch") === "true", out);
    });
    const p = await startFaultProxy([up.link.url]);
    const url = p.proxy.url;
    const logFor = (ns: string) => logs.filter((l) => l.includes(`${NS}/${ns}/configmaps`));
    const stillServes = async () => {
      const r = await kubeJson(url, `${NS}/default/configmaps`, { userAgent: "kube-proxy/v1" });
      assertEquals([r.status, names(r.body)], [200, ["a", "b"]]);
    };
    try {
      const first = await kubeJson(url, `${NS}/default/configmaps`);
      assertEquals([first.status, names(first.body)], [200, ["a", "b"]]);
      await waitCommitted(p.proxy, 1);

      for (const ns of ["bad-json", "items-not-array"]) {
        await t.step(`${ns}: a list is cut short and logged, a get is a 502 Status`, async () => {
          const res = await kubeFetch(url, `${NS}/${ns}/configmaps`);
          const body = await readBody(res, 3000);
          // The 200 and its headers went out before the bad byte arrived: the body is cut.
          assertEquals([res.status, body.end], [200, "error"], body.text);
          const line = logFor(ns).find((l) => l.includes('"level":"error"'));
          assert(line, "no error line for the list");
          assertMatch(line, /Upstream body for GET .* failed: TypeError: (Malformed|List body)/);

          const get = await kubeJson(url, `${NS}/${ns}/configmaps/a`);
          assertEquals([get.status, get.body.kind, get.body.code], [502, "Status", 502]);
          await stillServes();
        });
      }

      for (
        const [ns, code, reason] of [["html-502", 502, "InternalError"], [
          "text-503",
          503,
          "ServiceUnavailable",
        ]] as const
      ) {
        await t.step(`${ns}: a load balancer's page becomes a ${code} Status`, async () => {
          for (const path of [`${NS}/${ns}/configmaps`, `${NS}/${ns}/configmaps/a`]) {
            const r = await kubeJson(url, path);
            assertEquals([r.status, r.body.kind, r.body.reason, r.body.code], [
              code,
              "Status",
              reason,
              code,
            ]);
            assert(!String(r.body.message).includes("<"), String(r.body.message));
            assertMatch(
              String(r.body.message),
              ns === "html-502" ? /502 Bad Gateway/ : /no healthy upstream/,
            );
            if (code === 503) assertEquals(r.headers.get("retry-after"), "7");
          }
          const line = logFor(ns).find((l) => l.includes('"level":"warning"'));
          assert(line, "no warning line");
          assertMatch(line, new RegExp(`answered ${code} with a non-Kubernetes page`));
          await stillServes();
        });
      }

      await t.step(
        "a non-resource 5xx (a health check's text) passes through as it is",
        async () => {
          const r = await kubeFetch(url, "/livez?verbose");
          assertEquals([r.status, await r.text()], [500, "[-]etcd failed: reason withheld\n"]);
          assertEquals(r.headers.get("content-type"), "text/plain");
        },
      );

      await t.step(
        "gone-410: an HTTP 410 Status from the apiserver passes through as it is",
        async () => {
          const r = await kubeJson(url, `${NS}/gone-410/configmaps?watch=true&resourceVersion=1`);
          assertEquals([r.status, r.body.reason, r.body.code], [410, "Expired", 410]);
        },
      );

      await t.step(
        "a 410 ERROR watch event reaches the client and changes nothing cached",
        async () => {
          const res = await kubeFetch(
            url,
            `${NS}/default/configmaps?watch=true&resourceVersion=10`,
          );
          const body = await readBody(res, 3000);
          assertEquals(body.end, "done");
          const events = body.text.trim().split("\n").map((l) => JSON.parse(l));
          assertEquals(events.map((e) => e.type), ["ADDED", "ERROR"]);
          assertEquals([events[1].object.kind, events[1].object.code], ["Status", 410]);
        },
      );

      for (const ns of ["bad-event", "huge-line"]) {
        await t.step(
          `${ns}: a watch ends cleanly after its last good event, and is logged`,
          async () => {
            const res = await kubeFetch(url, `${NS}/${ns}/configmaps?watch=true`);
            const body = await readBody(res, 5000);
            assertEquals(body.end, "done");
            const events = body.text.trim().split("\n").map((l) => JSON.parse(l));
            assertEquals(events.map((e) => `${e.type} ${e.object.metadata.name}`), ["ADDED c"]);
            await waitFor(() => logFor(ns).some((l) => l.includes('"level":"error"')), 2000, "log");
            assertMatch(
              logFor(ns).find((l) => l.includes('"level":"error"'))!,
              ns === "huge-line"
                ? /RangeError: Watch event on line 2 longer than 16777216 bytes/
                : /TypeError: Malformed watch event on line 2/,
            );
            await stillServes();
          },
        );
      }

      await t.step(
        "offline, the good entry is as it was and nothing bad covers anything",
        async () => {
          up.link.setMode("refuse");
          const off = await kubeJson(url, `${NS}/default/configmaps`);
          assertEquals(off.status, 200, JSON.stringify(off.body));
          assertFromCache(off.headers);
          // The ADDED before the ERROR event was a real change and is applied; nothing else.
          assertEquals(names(off.body), ["a", "b", "c"]);
          for (
            const ns of [
              "bad-json",
              "items-not-array",
              "html-502",
              "text-503",
              "huge-line",
              "bad-event",
            ]
          ) {
            const r = await kubeJson(url, `${NS}/${ns}/configmaps`);
            assertEquals(
              [r.status, r.body.kind],
              [503, "Status"],
              `${ns}: ${JSON.stringify(r.body)}`,
            );
            const g = await kubeJson(url, `${NS}/${ns}/configmaps/a`);
            assertEquals(g.status, 503, `${ns} get: ${JSON.stringify(g.body)}`);
          }
        },
      );
    } finally {
      await p.close();
      await up.close();
    }
  });
});
