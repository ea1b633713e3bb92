import { assert, assertEquals } from "./_assert.ts";
import { type SimApiserver, startSimApiserver } from "../../src/sim/sim_apiserver.ts";
import { SimStore } from "../../src/sim/sim_store.ts";

async function withSim(fn: (sim: SimApiserver) => Promise<void>) {
  const sim = await startSimApiserver({ store: new SimStore() });
  try {
    await fn(sim);
  } finally {
    await sim.close();
  }
}

async function call(
  sim: SimApiserver,
  method: string,
  path: string,
  body?: unknown,
  type = "application/json",
) {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": type },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  assertEquals(res.headers.get("content-type"), "application/json");
  return { status: res.status, body: await res.json() };
}

const CMS = "/api/v1/namespaces/default/configmaps";

Deno.test("sim CRUD: create 201, get, update, patch, delete 200 with the object", async () => {
  await withSim(async (sim) => {
    const created = await call(sim, "POST", CMS, { metadata: { name: "a" }, data: { k: "1" } });
    assertEquals(created.status, 201);
    assertEquals([created.body.kind, created.body.apiVersion, created.body.metadata.namespace], [
      "ConfigMap",
      "v1",
      "default",
    ]);
    const got = await call(sim, "GET", `${CMS}/a`);
    assertEquals(got.body, created.body);
    const put = await call(sim, "PUT", `${CMS}/a`, { ...got.body, data: { k: "2" } });
    assertEquals([put.status, put.body.data.k], [200, "2"]);
    const merge = await call(
      sim,
      "PATCH",
      `${CMS}/a`,
      { metadata: { labels: { x: "y" } } },
      "application/merge-patch+json",
    );
    assertEquals(merge.body.metadata.labels, { x: "y" });
    const smp = await call(
      sim,
      "PATCH",
      `${CMS}/a`,
      { data: { s: "1" } },
      "application/strategic-merge-patch+json",
    );
    assertEquals(smp.body.data, { k: "2", s: "1" });
    const jp = await call(
      sim,
      "PATCH",
      `${CMS}/a`,
      [{ op: "remove", path: "/data/k" }],
      "application/json-patch+json",
    );
    assertEquals(jp.body.data, { s: "1" });
    const del = await call(sim, "DELETE", `${CMS}/a`);
    assertEquals([del.status, del.body.kind, del.body.metadata.name], [200, "ConfigMap", "a"]);
    assertEquals((await call(sim, "GET", `${CMS}/a`)).status, 404);
  });
});

Deno.test("sim answers errors as Status objects with the apiserver's codes", async (t) => {
  await withSim(async (sim) => {
    await call(sim, "POST", CMS, { metadata: { name: "a" } });
    const stale = (await call(sim, "GET", `${CMS}/a`)).body;
    await call(sim, "PATCH", `${CMS}/a`, { data: { v: "1" } }, "application/merge-patch+json");
    const cases: [string, string, string, unknown, string | undefined, number, string][] = [
      ["missing object", "GET", `${CMS}/nope`, undefined, undefined, 404, "NotFound"],
      ["duplicate", "POST", CMS, { metadata: { name: "a" } }, undefined, 409, "AlreadyExists"],
      ["stale update", "PUT", `${CMS}/a`, stale, undefined, 409, "Conflict"],
      ["not JSON", "POST", CMS, "{nope", undefined, 400, "BadRequest"],
      ["no name", "POST", CMS, { metadata: {} }, undefined, 422, "Invalid"],
      [
        "namespace mismatch",
        "POST",
        CMS,
        { metadata: { name: "b", namespace: "x" } },
        undefined,
        400,
        "BadRequest",
      ],
      [
        "name mismatch",
        "PUT",
        `${CMS}/a`,
        { metadata: { name: "b" } },
        undefined,
        400,
        "BadRequest",
      ],
      [
        "apply patch",
        "PATCH",
        `${CMS}/a`,
        {},
        "application/apply-patch+yaml",
        415,
        "UnsupportedMediaType",
      ],
      ["yaml create", "POST", CMS, "x: 1", "application/yaml", 415, "UnsupportedMediaType"],
      [
        "PUT on a collection",
        "PUT",
        CMS,
        { metadata: { name: "a" } },
        undefined,
        405,
        "MethodNotAllowed",
      ],
      [
        "POST on an object",
        "POST",
        `${CMS}/a`,
        { metadata: { name: "a" } },
        undefined,
        405,
        "MethodNotAllowed",
      ],
      [
        "unknown resource",
        "GET",
        "/api/v1/namespaces/default/widgets",
        undefined,
        undefined,
        404,
        "NotFound",
      ],
      [
        "cluster-scoped under a namespace",
        "GET",
        "/api/v1/namespaces/default/nodes",
        undefined,
        undefined,
        404,
        "NotFound",
      ],
    ];
    for (const [name, method, path, body, type, code, reason] of cases) {
      await t.step(name, async () => {
        const r = await call(sim, method, path, body, type);
        assertEquals([r.status, r.body.kind, r.body.status, r.body.code, r.body.reason], [
          code,
          "Status",
          "Failure",
          code,
          reason,
        ]);
      });
    }
    const nf = (await call(sim, "GET", `${CMS}/nope`)).body;
    assertEquals(nf.message, 'configmaps "nope" not found');
    assertEquals(nf.details, { name: "nope", kind: "configmaps" });
  });
});

Deno.test("sim dryRun=All validates without storing", async () => {
  await withSim(async (sim) => {
    const rv = sim.store.resourceVersion;
    const r = await call(sim, "POST", `${CMS}?dryRun=All`, { metadata: { name: "dry" } });
    assertEquals(r.status, 201);
    assertEquals(sim.store.resourceVersion, rv);
    assertEquals((await call(sim, "GET", `${CMS}/dry`)).status, 404);
  });
});

Deno.test("sim serves cluster-scoped nodes and namespaces and discovery.k8s.io endpointslices", async () => {
  await withSim(async (sim) => {
    assertEquals(
      (await call(sim, "POST", "/api/v1/nodes", { metadata: { name: "n1" } })).status,
      201,
    );
    const node = (await call(sim, "GET", "/api/v1/nodes/n1")).body;
    assertEquals([node.kind, node.metadata.namespace], ["Node", undefined]);
    const ns = (await call(sim, "GET", "/api/v1/namespaces/default")).body;
    assertEquals([ns.kind, ns.status.phase], ["Namespace", "Active"]);
    const path = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices";
    const es = await call(sim, "POST", path, {
      metadata: { name: "s" },
      addressType: "IPv4",
      endpoints: [],
    });
    assertEquals([es.status, es.body.apiVersion, es.body.kind], [
      201,
      "discovery.k8s.io/v1",
      "EndpointSlice",
    ]);
    const list = (await call(sim, "GET", "/apis/discovery.k8s.io/v1/endpointslices")).body;
    assertEquals(list.kind, "EndpointSliceList");
    const missing = (await call(sim, "GET", `${path}/nope`)).body;
    assertEquals(missing.details, {
      name: "nope",
      group: "discovery.k8s.io",
      kind: "endpointslices",
    });
  });
});

Deno.test("sim deletecollection deletes what the selector matches", async () => {
  await withSim(async (sim) => {
    for (const [name, l] of [["a", "x"], ["b", "x"], ["c", "y"]]) {
      await call(sim, "POST", CMS, { metadata: { name, labels: { l } } });
    }
    const r = await call(sim, "DELETE", `${CMS}?labelSelector=l%3Dx`);
    assertEquals(r.body.items.map((i: { metadata: { name: string } }) => i.metadata.name), [
      "a",
      "b",
    ]);
    const left = (await call(sim, "GET", CMS)).body.items;
    assert(left.length === 1 && left[0].metadata.name === "c");
  });
});
