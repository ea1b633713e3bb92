import { assert, assertEquals } from "./_assert.ts";
import { makeConfigMap, makePod } from "../../src/sim/fixtures.ts";
import { startSimApiserver } from "../../src/sim/sim_apiserver.ts";
import { SimStore } from "../../src/sim/sim_store.ts";

const TABLE =
  "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

async function withSim(
  fn: (url: string, store: SimStore) => Promise<void>,
  store = new SimStore(),
) {
  const sim = await startSimApiserver({ store });
  try {
    await fn(sim.url, store);
  } finally {
    await sim.close();
  }
}

function seed(store: SimStore, n: number): SimStore {
  for (let i = 0; i < n; i++) {
    store.create("configmaps", makeConfigMap(i, { namespace: i % 2 ? "odd" : "default" }));
  }
  return store;
}

Deno.test("sim list answers a ConfigMapList with keys in apiserver order", async () => {
  await withSim(async (url, store) => {
    const res = await fetch(`${url}/api/v1/namespaces/default/configmaps`);
    assertEquals(res.status, 200);
    assertEquals(res.headers.get("content-type"), "application/json");
    const text = await res.text();
    assert(
      text.startsWith(
        `{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"${store.resourceVersion}"},"items":[`,
      ),
      text.slice(0, 120),
    );
    const body = JSON.parse(text);
    assertEquals(body.items.map((i: { metadata: { name: string } }) => i.metadata.name), [
      "cm-0",
      "cm-2",
    ]);
    const all = await (await fetch(`${url}/api/v1/configmaps`)).json();
    assertEquals(all.items.length, 4);
  }, seed(new SimStore(), 4));
});

Deno.test("sim list pages over HTTP with limit and continue", async () => {
  await withSim(async (url) => {
    const names: string[] = [];
    let cont = "";
    for (let page = 0; page < 10; page++) {
      const q = new URLSearchParams({ limit: "3", continue: cont });
      const body = await (await fetch(`${url}/api/v1/configmaps?${q}`)).json();
      names.push(...body.items.map((i: { metadata: { name: string } }) => i.metadata.name));
      cont = body.metadata.continue ?? "";
      if (!cont) break;
    }
    assertEquals(names.length, 7);
    assertEquals(new Set(names).size, 7);
  }, seed(new SimStore(), 7));
});

Deno.test("sim list answers a bad selector with a 400 Status", async () => {
  await withSim(async (url) => {
    for (const q of ["labelSelector=a%20in%20(", "fieldSelector=nope=1"]) {
      const res = await fetch(`${url}/api/v1/configmaps?${q}`);
      assertEquals(res.status, 400);
      const s = await res.json();
      assertEquals([s.kind, s.reason, s.code], ["Status", "BadRequest", 400]);
    }
  });
});

Deno.test("sim list with an expired continue token answers 410 Expired", async () => {
  await withSim(async (url, store) => {
    const first = await (await fetch(`${url}/api/v1/configmaps?limit=1`)).json();
    store.create("configmaps", makeConfigMap(99));
    store.compact();
    const res = await fetch(`${url}/api/v1/configmaps?limit=1&continue=${first.metadata.continue}`);
    assertEquals(res.status, 410);
    assertEquals((await res.json()).reason, "Expired");
  }, seed(new SimStore(), 3));
});

Deno.test("sim list of pods filters by spec.nodeName", async () => {
  const store = new SimStore();
  for (let i = 0; i < 20; i++) store.create("pods", makePod(i));
  await withSim(async (url) => {
    const body = await (await fetch(`${url}/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-3`))
      .json();
    assertEquals(body.items.map((p: { metadata: { name: string } }) => p.metadata.name), [
      "pod-13",
      "pod-3",
    ]);
  }, store);
});

Deno.test("sim gzips list bodies over the threshold when the client accepts gzip", async () => {
  const store = new SimStore();
  for (let i = 0; i < 40; i++) store.create("pods", makePod(i)); // ~240 KB
  await withSim(async (url) => {
    const raw = await fetch(`${url}/api/v1/pods`, { headers: { "accept-encoding": "identity" } });
    assertEquals(raw.headers.get("content-encoding"), null);
    const plain = await raw.text();
    assert(plain.length > 131072);
    // fetch decodes gzip transparently; the header shows it was compressed on the wire.
    const gz = await fetch(`${url}/api/v1/pods`, { headers: { "accept-encoding": "gzip" } });
    assertEquals(gz.headers.get("content-encoding"), "gzip");
    assertEquals(await gz.text(), plain);
    const small = await fetch(`${url}/api/v1/namespaces`, {
      headers: { "accept-encoding": "gzip" },
    });
    assertEquals(small.headers.get("content-encoding"), null);
    await small.body?.cancel();
  }, store);
});

Deno.test("sim answers Table output for lists and gets, with includeObject", async () => {
  await withSim(async (url) => {
    const t = await (await fetch(`${url}/api/v1/namespaces/default/configmaps`, {
      headers: { accept: TABLE },
    })).json();
    assertEquals([t.kind, t.apiVersion], ["Table", "meta.k8s.io/v1"]);
    assertEquals(t.columnDefinitions.map((c: { name: string }) => c.name), ["Name", "Data", "Age"]);
    assertEquals(t.rows.length, 2);
    assertEquals(t.rows[0].cells.slice(0, 2), ["cm-0", 2]);
    assertEquals(t.rows[0].object.kind, "PartialObjectMetadata");
    assertEquals(t.rows[0].object.metadata.name, "cm-0");
    const full =
      await (await fetch(`${url}/api/v1/namespaces/default/configmaps/cm-0?includeObject=Object`, {
        headers: { accept: TABLE },
      })).json();
    assertEquals(full.rows[0].object.kind, "ConfigMap");
    const none =
      await (await fetch(`${url}/api/v1/namespaces/default/configmaps?includeObject=None`, {
        headers: { accept: TABLE },
      })).json();
    assertEquals(none.rows[0].object, undefined);
  }, seed(new SimStore(), 4));
});

Deno.test("sim answers PartialObjectMetadataList and 406 for protobuf-only clients", async () => {
  await withSim(async (url) => {
    const accept =
      "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json";
    const l = await (await fetch(`${url}/api/v1/configmaps`, { headers: { accept } })).json();
    assertEquals(l.kind, "PartialObjectMetadataList");
    assertEquals(l.items[0], {
      kind: "PartialObjectMetadata",
      apiVersion: "meta.k8s.io/v1",
      metadata: l.items[0].metadata,
    });
    assertEquals(l.items[0].metadata.name, "cm-0");
    const pb = await fetch(`${url}/api/v1/configmaps`, {
      headers: { accept: "application/vnd.kubernetes.protobuf" },
    });
    assertEquals(pb.status, 406);
    assertEquals((await pb.json()).reason, "NotAcceptable");
    // kubelet's Accept lists protobuf first; JSON is still acceptable to it.
    const mixed = await fetch(`${url}/api/v1/configmaps`, {
      headers: { accept: "application/vnd.kubernetes.protobuf,application/json" },
    });
    assertEquals((await mixed.json()).kind, "ConfigMapList");
  }, seed(new SimStore(), 2));
});

Deno.test("sim serves discovery, version and health endpoints", async () => {
  await withSim(async (url) => {
    const api = await (await fetch(`${url}/api`)).json();
    assertEquals([api.kind, api.versions], ["APIVersions", ["v1"]]);
    const v1 = await (await fetch(`${url}/api/v1`)).json();
    const cm = v1.resources.find((r: { name: string }) => r.name === "configmaps");
    assertEquals([cm.kind, cm.namespaced, cm.shortNames], ["ConfigMap", true, ["cm"]]);
    assert(cm.verbs.includes("watch"));
    assertEquals(v1.resources.find((r: { name: string }) => r.name === "nodes").namespaced, false);
    const apis = await (await fetch(`${url}/apis`)).json();
    assertEquals(apis.groups.map((g: { name: string }) => g.name), ["discovery.k8s.io"]);
    const eps = await (await fetch(`${url}/apis/discovery.k8s.io/v1`)).json();
    assertEquals(eps.resources[0].kind, "EndpointSlice");
    assertEquals((await (await fetch(`${url}/version`)).json()).major, "1");
    for (const p of ["healthz", "readyz", "livez"]) {
      assertEquals(await (await fetch(`${url}/${p}`)).text(), "ok");
    }
    const missing = await fetch(`${url}/apis/apps/v1`);
    assertEquals(missing.status, 404);
    await missing.body?.cancel();
  });
});

Deno.test("sim serves a 10,000-pod list by streaming cached bytes", async () => {
  const store = new SimStore();
  for (let i = 0; i < 10_000; i++) store.create("pods", makePod(i));
  const sim = await startSimApiserver({ store });
  try {
    const started = performance.now();
    const res = await fetch(`${sim.url}/api/v1/pods`);
    let bytes = 0;
    let chunks = 0;
    for await (const c of res.body!) {
      bytes += c.length;
      chunks++;
    }
    const ms = performance.now() - started;
    assert(bytes > 50_000_000, `only ${bytes} bytes`);
    assert(chunks > 10, "the list was not streamed");
    // Generous bound: the in-process fetch reader, not the sim, dominates here.
    assert(ms < 5000, `took ${ms} ms`);
    assertEquals(sim.requests, 1);
  } finally {
    await sim.close();
  }
});
