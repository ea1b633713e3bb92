/**
 * @module Issue 3 through the running proxy: content negotiation for filtered resources, Table
 * and metadata-only views losing dropped objects, gzipped upstream lists, and bad upstream data
 * that must neither crash the proxy nor reach the client or the cache as a success.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { DEFAULT_CONFIG, metric, type Stack, startStack, waitFor } from "./harness.ts";
import { kubeFetch, kubeJson, names } from "./kube_client.ts";
import { rawHeader, rawRequest, startProxy, startUpstream } from "./scripted_upstream.ts";

const RULES = `${DEFAULT_CONFIG}
  - resources: [configmaps]
    drop:
      labelSelector: "edge-drop=yes"
`;

const CM = "/api/v1/namespaces/default/configmaps";
const PROTOBUF_ONLY = "application/vnd.kubernetes.protobuf";
const KUBECTL_TABLE =
  "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
const PARTIAL_LIST =
  "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json;as=PartialObjectMetadataList;v=v1beta1;g=meta.k8s.io,application/json";
const PARTIAL =
  "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io,application/json;as=PartialObjectMetadata;v=v1beta1;g=meta.k8s.io,application/json";

const KEPT = ["keep-0", "keep-1", "keep-2"];

async function seeded(): Promise<Stack> {
  const s = await startStack({ config: RULES });
  for (let i = 0; i < 3; i++) {
    for (const name of [`keep-${i}`, `skip-${i}`]) {
      s.sim.store.create("configmaps", {
        metadata: { name, namespace: "default", labels: { app: "demo" } },
        data: { i: String(i) },
      });
    }
  }
  return s;
}

/** Reads NDJSON watch events from a response, one at a time. */
function events(res: Response) {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  return {
    async next(timeoutMs = 2000): Promise<{ type: string; object: Record<string, unknown> }> {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const nl = buf.indexOf("\n");
        if (nl >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          return JSON.parse(line);
        }
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error("no watch event in time")), until - Date.now());
        });
        try {
          const { value, done } = await Promise.race([reader.read(), timeout]);
          if (done) throw new Error("watch ended");
          buf += value;
        } finally {
          clearTimeout(timer);
        }
      }
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}

type Row = { cells: unknown[]; object?: { metadata: { name: string } } };

function rowNames(table: Record<string, unknown>): string[] {
  return (table.rows as Row[]).map((r) => String(r.cells[0])).sort();
}

async function assertStatus(res: Response, code: number, reason: string): Promise<void> {
  const text = await res.text();
  assertEquals(res.status, code, text);
  assertMatch(res.headers.get("content-type") ?? "", /^application\/json/);
  const s = JSON.parse(text);
  assertEquals([s.kind, s.reason, s.code], ["Status", reason, code]);
}

Deno.test("kubelet's protobuf-first Accept on a filtered resource gets JSON, filtered", async () => {
  const s = await seeded();
  try {
    const list = await kubeJson(s.proxy.url, CM);
    assertEquals(list.status, 200);
    assertMatch(list.headers.get("content-type") ?? "", /^application\/json/);
    assertEquals(names(list.body), KEPT);
    const get = await kubeJson(s.proxy.url, `${CM}/keep-1`);
    assertEquals([get.status, (get.body.metadata as { name: string }).name], [200, "keep-1"]);
    await assertStatus(await kubeFetch(s.proxy.url, `${CM}/skip-1`), 404, "NotFound");
  } finally {
    await s.close();
  }
});

Deno.test("a protobuf-only Accept on a filtered resource gets a 406 Status, never unfiltered data", async () => {
  const s = await seeded();
  try {
    for (const path of [CM, `${CM}/skip-0`, `${CM}/keep-0`, `${CM}?watch=true`]) {
      const res = await kubeFetch(s.proxy.url, path, { accept: PROTOBUF_ONLY });
      await assertStatus(res, 406, "NotAcceptable");
    }
  } finally {
    await s.close();
  }
});

Deno.test("a resource without rules passes a protobuf-only Accept and a protobuf answer through untouched", async (t) => {
  await t.step("the sim's own answer comes back as is", async () => {
    const s = await seeded();
    try {
      s.sim.store.create("secrets", { metadata: { name: "s1", namespace: "default" } });
      for (
        const path of ["/api/v1/namespaces/default/secrets", "/api/v1/namespaces/default/services"]
      ) {
        const direct = await kubeFetch(s.sim.url, path, { accept: PROTOBUF_ONLY });
        const via = await kubeFetch(s.proxy.url, path, { accept: PROTOBUF_ONLY });
        assertEquals(via.status, direct.status, path);
        assertEquals(via.headers.get("content-type"), direct.headers.get("content-type"));
        assertEquals(await via.text(), await direct.text(), path);
      }
    } finally {
      await s.close();
    }
  });
  await t.step("a protobuf upstream's bytes reach the client unchanged", async () => {
    const pb = new Uint8Array([
      0x6b,
      0x38,
      0x73,
      0x00,
      0x0a,
      0x09,
      0x0a,
      0x02,
      0x76,
      0x31,
      0xff,
      0x00,
    ]);
    const accepts: string[] = [];
    const up = startUpstream((req) => {
      accepts.push(req.headers.get("accept") ?? "");
      return new Response(pb, { headers: { "content-type": PROTOBUF_ONLY } });
    });
    const p = await startProxy([up.url], RULES);
    try {
      // secrets: no rule, not cached; services: no rule, cached by default (so a mixed Accept
      // would be narrowed to JSON for the cache, which the client accepts; protobuf-only is not).
      for (const resource of ["secrets", "services"]) {
        const res = await kubeFetch(p.proxy.url, `/api/v1/namespaces/default/${resource}`, {
          accept: PROTOBUF_ONLY,
        });
        assertEquals(res.status, 200);
        assertEquals(res.headers.get("content-type"), PROTOBUF_ONLY);
        assertEquals(new Uint8Array(await res.arrayBuffer()), pb);
      }
      assertEquals(accepts, [PROTOBUF_ONLY, PROTOBUF_ONLY]);
    } finally {
      await p.close();
      await up.close();
    }
  });
});

Deno.test("as=Table lists, gets and watches lose the rows of dropped objects", async () => {
  const s = await seeded();
  try {
    const list = await kubeJson(s.proxy.url, CM, { accept: KUBECTL_TABLE });
    assertEquals([list.status, list.body.kind], [200, "Table"]);
    assertEquals(rowNames(list.body), KEPT);
    const get = await kubeJson(s.proxy.url, `${CM}/keep-2`, { accept: KUBECTL_TABLE });
    assertEquals([get.status, get.body.kind, rowNames(get.body)], [200, "Table", ["keep-2"]]);
    await assertStatus(
      await kubeFetch(s.proxy.url, `${CM}/skip-2`, { accept: KUBECTL_TABLE }),
      404,
      "NotFound",
    );

    const rv = s.sim.store.resourceVersion;
    const ctl = new AbortController();
    const res = await kubeFetch(s.proxy.url, `${CM}?watch=true&resourceVersion=${rv}`, {
      accept: KUBECTL_TABLE,
      signal: ctl.signal,
    });
    assertEquals(res.status, 200);
    const ev = events(res);
    try {
      s.sim.store.create("configmaps", { metadata: { name: "skip-new", namespace: "default" } });
      s.sim.store.create("configmaps", { metadata: { name: "keep-new", namespace: "default" } });
      let e = await ev.next();
      assertEquals([e.type, e.object.kind, rowNames(e.object)], ["ADDED", "Table", ["keep-new"]]);
      // A label change moves keep-1 into a drop rule: the client must remove its row.
      s.sim.store.patch("configmaps", "default", "keep-1", "application/merge-patch+json", {
        metadata: { labels: { "edge-drop": "yes" } },
      });
      e = await ev.next();
      assertEquals([e.type, rowNames(e.object)], ["DELETED", ["keep-1"]]);
      s.sim.store.delete("configmaps", "default", "skip-new");
      s.sim.store.create("configmaps", { metadata: { name: "keep-last", namespace: "default" } });
      e = await ev.next();
      assertEquals([e.type, rowNames(e.object)], ["ADDED", ["keep-last"]]);
    } finally {
      ctl.abort();
      await ev.cancel();
    }
  } finally {
    await s.close();
  }
});

Deno.test("as=PartialObjectMetadataList lists, gets and watches lose dropped objects", async () => {
  const s = await seeded();
  try {
    const list = await kubeJson(s.proxy.url, CM, { accept: PARTIAL_LIST });
    assertEquals([list.status, list.body.kind], [200, "PartialObjectMetadataList"]);
    assertEquals(names(list.body), KEPT);
    const get = await kubeJson(s.proxy.url, `${CM}/keep-0`, { accept: PARTIAL });
    assertEquals([get.status, get.body.kind], [200, "PartialObjectMetadata"]);
    await assertStatus(
      await kubeFetch(s.proxy.url, `${CM}/skip-0`, { accept: PARTIAL }),
      404,
      "NotFound",
    );

    const rv = s.sim.store.resourceVersion;
    const ctl = new AbortController();
    const res = await kubeFetch(s.proxy.url, `${CM}?watch=true&resourceVersion=${rv}`, {
      accept: PARTIAL,
      signal: ctl.signal,
    });
    const ev = events(res);
    try {
      s.sim.store.create("configmaps", { metadata: { name: "skip-x", namespace: "default" } });
      s.sim.store.create("configmaps", { metadata: { name: "keep-x", namespace: "default" } });
      let e = await ev.next();
      assertEquals(
        [e.type, e.object.kind, (e.object.metadata as { name: string }).name],
        ["ADDED", "PartialObjectMetadata", "keep-x"],
      );
      s.sim.store.patch("configmaps", "default", "keep-x", "application/merge-patch+json", {
        metadata: { labels: { "edge-drop": "yes" } },
      });
      e = await ev.next();
      assertEquals([e.type, (e.object.metadata as { name: string }).name], ["DELETED", "keep-x"]);
    } finally {
      ctl.abort();
      await ev.cancel();
    }
  } finally {
    await s.close();
  }
});

Deno.test("a gzipped upstream list over 128 KiB is filtered correctly", async () => {
  const s = await startStack({ config: RULES });
  try {
    const kept: string[] = [];
    for (let i = 0; i < 600; i++) {
      const name = i % 3 === 0 ? `skip-${i}` : `keep-${i}`;
      if (!name.startsWith("skip-")) kept.push(name);
      s.sim.store.create("configmaps", {
        metadata: { name, namespace: "default", labels: { big: "yes" } },
        data: { blob: `${'\\"é中'.repeat(50)}${"x".repeat(400)}` },
      });
    }
    kept.sort();
    // The sim does gzip this list when asked, as the apiserver does over 128 KiB.
    const direct = await rawRequest(
      s.sim.url,
      `GET ${CM} HTTP/1.1\r\nHost: sim\r\nAccept: application/json\r\nAccept-Encoding: gzip`,
    );
    assertEquals(rawHeader(direct, "content-encoding"), "gzip");
    assert(direct.body.length > 1000);

    for (
      const [query, accept] of [
        ["", "application/vnd.kubernetes.protobuf,application/json"],
        ["?labelSelector=big%3Dyes", "application/json"],
        ["", KUBECTL_TABLE],
      ]
    ) {
      const res = await rawRequest(
        s.proxy.url,
        `GET ${CM}${query} HTTP/1.1\r\nHost: edge\r\nAccept: ${accept}\r\nAccept-Encoding: identity\r\nUser-Agent: kubelet/v1.32.0`,
      );
      assertEquals(res.status, 200);
      assertEquals(rawHeader(res, "content-encoding"), undefined);
      const len = rawHeader(res, "content-length");
      if (len !== undefined) assertEquals(Number(len), res.body.length);
      const body = JSON.parse(new TextDecoder().decode(res.body));
      if (accept === KUBECTL_TABLE) assertEquals(rowNames(body), kept);
      else {
        assertEquals(names(body), kept);
        assertEquals(body.metadata.resourceVersion, String(s.sim.store.resourceVersion));
        assertEquals(body.items[0].data.blob, `${'\\"é中'.repeat(50)}${"x".repeat(400)}`);
      }
    }
  } finally {
    await s.close();
  }
});

/** A body that sends `prefix`, then fails as a dropped connection does. */
function cutAfter(prefix: string): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      c.enqueue(new TextEncoder().encode(prefix));
    },
    async pull(c) {
      await new Promise((r) => setTimeout(r, 20));
      c.error(new Error("link cut"));
    },
  });
}

/** Reads a response the way a client would; `null` body when the read failed midway. */
async function readAll(res: Response): Promise<{ text: string | null; value: unknown }> {
  let text: string | null = null;
  try {
    text = await res.text();
  } catch {
    // Cut short: the client sees a broken response.
  }
  let value: unknown = undefined;
  try {
    if (text !== null) value = JSON.parse(text);
  } catch {
    // Not JSON: no client takes it for an answer.
  }
  return { text, value };
}

Deno.test("bad upstream data never crashes the proxy, never ends as a success and is never cached", async (t) => {
  const json = { "content-type": "application/json" };
  const item = (ns: string, n: string) =>
    `{"metadata":{"name":"${n}","namespace":"${ns}","resourceVersion":"5"}}`;
  const head =
    '{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"5"},"items":[';
  /** Per namespace: the list body and the body of a get of "a" the upstream sends. */
  const bad: Record<string, (ns: string) => { list: BodyInit; object: BodyInit }> = {
    "missing-comma": (ns) => ({
      list: `${head}${item(ns, "a")} ${item(ns, "c")}]}`,
      object: `{"metadata":{"name":"a"} "data":{}}`,
    }),
    "bad-token": (ns) => ({
      list: `${head}${item(ns, "a")},{"metadata":{"name":"c",}}]}`,
      object: `{"metadata":{"name":"a",}}`,
    }),
    "truncated-json": (ns) => ({
      list: `${head}${item(ns, "a")},{"metadata":{"na`,
      object: `{"metadata":{"na`,
    }),
    "unclosed-list": (ns) => ({
      list: `${head}${item(ns, "a")},${item(ns, "c")}]`,
      object: item(ns, "a").slice(0, -1),
    }),
    "trailing-garbage": (ns) => ({
      list: `${head}${item(ns, "a")}]}<html>`,
      object: `${item(ns, "a")}<html>`,
    }),
    "items-is-5": () => ({
      list: '{"kind":"ConfigMapList","apiVersion":"v1","metadata":{},"items": 5}',
      object: "5",
    }),
    "items-of-numbers": () => ({ list: `${head}1,2]}`, object: "[1,2]" }),
    "cut-connection": (ns) => ({
      list: cutAfter(`${head}${item(ns, "a")},`),
      object: cutAfter(item(ns, "a").slice(0, 20)),
    }),
  };
  const up = startUpstream((req) => {
    const url = new URL(req.url);
    const [, , , , ns, , name] = url.pathname.split("/");
    if (url.searchParams.get("watch") === "true") {
      // One good event, then (a moment later) a malformed one.
      return new Response(
        new ReadableStream({
          async start(c) {
            c.enqueue(new TextEncoder().encode(`{"type":"ADDED","object":${item(ns, "a")}}\n`));
            await new Promise((r) => setTimeout(r, 50));
            c.enqueue(
              new TextEncoder().encode(`{"type":"ADDED","object":{"metadata":{"name":}}\n`),
            );
            c.close();
          },
        }),
        { headers: json },
      );
    }
    if (ns === "html-502") {
      return new Response("<html><body><h1>502 Bad Gateway</h1></body></html>", {
        status: 502,
        headers: { "content-type": "text/html" },
      });
    }
    if (ns === "good") {
      const list = `${head}${item(ns, "a")},${item(ns, "skip-b")},${item(ns, "c")}]}`;
      return new Response(name ? item(ns, name) : list, { headers: json });
    }
    const b = bad[ns](ns);
    return new Response(name ? b.object : b.list, { headers: json });
  });
  const p = await startProxy([up.url], RULES);
  const namespaces = [...Object.keys(bad), "html-502"];
  try {
    const good200 = async () => {
      const r = await kubeJson(p.proxy.url, "/api/v1/namespaces/good/configmaps");
      assertEquals([r.status, names(r.body)], [200, ["a", "c"]]);
    };
    await good200();
    for (const ns of namespaces) {
      await t.step(ns, async () => {
        const res = await kubeFetch(p.proxy.url, `/api/v1/namespaces/${ns}/configmaps`);
        const list = await readAll(res);
        const listOk = res.status === 200 &&
          Array.isArray((list.value as { items?: unknown } | undefined)?.items);
        assert(!listOk, `list: a fabricated success (${res.status}): ${list.text?.slice(0, 300)}`);

        const get = await kubeFetch(p.proxy.url, `/api/v1/namespaces/${ns}/configmaps/a`);
        const obj = await readAll(get);
        const getOk = get.status === 200 && typeof obj.value === "object" && obj.value !== null;
        assert(!getOk, `get: a fabricated success (${get.status}): ${obj.text?.slice(0, 300)}`);
        if (ns !== "html-502") {
          // The proxy read a bad object itself: it says so as a Status.
          assertEquals(get.status, 502, obj.text ?? "");
          assertEquals((obj.value as { kind?: string }).kind, "Status");
        }
        await good200();
      });
    }
    await t.step("a watch delivers the good event, never the malformed one", async () => {
      const errors = () =>
        Number(
          /^edge_proxy_upstream_body_errors_total\{resource="configmaps"\} (\d+)$/m
            .exec(p.proxy.metrics.render())?.[1] ?? 0,
        );
      const before = errors();
      const res = await kubeFetch(p.proxy.url, "/api/v1/namespaces/good/configmaps?watch=true");
      assertEquals(res.status, 200);
      // The proxy ends the watch there (cleanly, by design: the client re-watches from the last
      // resourceVersion it saw, see online.ts) or cuts it; either way nothing made up follows.
      const { text } = await readAll(res);
      const lines = (text ?? "").split("\n").filter((l) => l !== "");
      assertEquals(lines.map((l) => JSON.parse(l).object.metadata.name), ["a"]);
      assertEquals(errors(), before + 1, "the failure is counted");
      await good200();
    });
    await waitFor(
      () => metric(p.proxy, "edge_proxy_cache_lists_committed") >= 1,
      5000,
      "the good list in the cache",
    );
    await up.close();
    // Offline now: the good list comes from the cache, no bad one has anything to come from.
    await waitFor(() => !p.proxy.pool.online(), 3000, "the proxy to go offline");
    await good200();
    for (const ns of namespaces) {
      const res = await kubeFetch(p.proxy.url, `/api/v1/namespaces/${ns}/configmaps`);
      await assertStatus(res, 503, "ServiceUnavailable");
    }
  } finally {
    await p.close();
    await up.close();
  }
});
