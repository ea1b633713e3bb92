import { qualifiedResource, type RequestInfo, requestInfo } from "../../src/kube/request_info.ts";
import { assertEquals } from "../assert.ts";

type Expect = Partial<Omit<RequestInfo, "path">>;

interface Case {
  name: string;
  method: string;
  url: string;
  want: Expect;
}

/** The fields a case does not name take these values (a non-resource request's). */
const BLANK: Required<Expect> = {
  isResource: false,
  apiPrefix: "",
  group: "",
  version: "",
  resource: "",
  subresource: "",
  namespace: "",
  name: "",
  verb: "get",
};

function core(want: Expect): Expect {
  return { isResource: true, apiPrefix: "api", version: "v1", ...want };
}

function apps(want: Expect): Expect {
  return { isResource: true, apiPrefix: "apis", group: "apps", version: "v1", ...want };
}

async function table(t: Deno.TestContext, cases: readonly Case[]): Promise<void> {
  for (const c of cases) {
    await t.step(c.name, () => {
      const url = new URL(c.url, "http://127.0.0.1:10261");
      const got = requestInfo(c.method, url);
      assertEquals(got, { ...BLANK, ...c.want, path: url.pathname }, `${c.method} ${c.url}`);
    });
  }
}

Deno.test("requestInfo classifies core and group resource paths", async (t) => {
  await table(t, [
    {
      name: "namespaced core collection is a list",
      method: "GET",
      url: "/api/v1/namespaces/a/pods",
      want: core({ resource: "pods", namespace: "a", verb: "list" }),
    },
    {
      name: "namespaced core object is a get",
      method: "GET",
      url: "/api/v1/namespaces/a/pods/p",
      want: core({ resource: "pods", namespace: "a", name: "p", verb: "get" }),
    },
    {
      name: "all-namespace core collection has no namespace",
      method: "GET",
      url: "/api/v1/pods",
      want: core({ resource: "pods", verb: "list" }),
    },
    {
      name: "group collection",
      method: "GET",
      url: "/apis/apps/v1/namespaces/a/deployments",
      want: apps({ resource: "deployments", namespace: "a", verb: "list" }),
    },
    {
      name: "group object",
      method: "GET",
      url: "/apis/apps/v1/namespaces/a/deployments/d",
      want: apps({ resource: "deployments", namespace: "a", name: "d", verb: "get" }),
    },
    {
      name: "dotted group",
      method: "GET",
      url: "/apis/discovery.k8s.io/v1/endpointslices",
      want: {
        isResource: true,
        apiPrefix: "apis",
        group: "discovery.k8s.io",
        version: "v1",
        resource: "endpointslices",
        verb: "list",
      },
    },
    {
      name: "HEAD is read like GET",
      method: "HEAD",
      url: "/api/v1/namespaces/a/pods/p",
      want: core({ resource: "pods", namespace: "a", name: "p", verb: "get" }),
    },
    {
      name: "a lowercase method is classified like its uppercase form",
      method: "get",
      url: "/api/v1/pods",
      want: core({ resource: "pods", verb: "list" }),
    },
  ]);
});

Deno.test("requestInfo classifies cluster-scoped resources and the namespace object", async (t) => {
  await table(t, [
    {
      name: "nodes collection",
      method: "GET",
      url: "/api/v1/nodes",
      want: core({ resource: "nodes", verb: "list" }),
    },
    {
      name: "one node",
      method: "GET",
      url: "/api/v1/nodes/n1",
      want: core({ resource: "nodes", name: "n1", verb: "get" }),
    },
    {
      name: "node status update",
      method: "PATCH",
      url: "/api/v1/nodes/n1/status",
      want: core({ resource: "nodes", name: "n1", subresource: "status", verb: "patch" }),
    },
    {
      name: "namespaces collection",
      method: "GET",
      url: "/api/v1/namespaces",
      want: core({ resource: "namespaces", verb: "list" }),
    },
    {
      name: "namespaces/{ns} is the namespace object, in its own namespace",
      method: "GET",
      url: "/api/v1/namespaces/a",
      want: core({ resource: "namespaces", namespace: "a", name: "a", verb: "get" }),
    },
    {
      name: "namespaces/{ns}/status is the namespace's status subresource",
      method: "PUT",
      url: "/api/v1/namespaces/a/status",
      want: core({
        resource: "namespaces",
        namespace: "a",
        name: "a",
        subresource: "status",
        verb: "update",
      }),
    },
    {
      name: "namespaces/{ns}/finalize is the namespace's finalize subresource",
      method: "PUT",
      url: "/api/v1/namespaces/a/finalize",
      want: core({
        resource: "namespaces",
        namespace: "a",
        name: "a",
        subresource: "finalize",
        verb: "update",
      }),
    },
    {
      name: "deleting a namespace",
      method: "DELETE",
      url: "/api/v1/namespaces/a",
      want: core({ resource: "namespaces", namespace: "a", name: "a", verb: "delete" }),
    },
  ]);
});

Deno.test("requestInfo tells list from watch by the watch parameter", async (t) => {
  const list = core({ resource: "pods", namespace: "a", verb: "list" });
  const watch = core({ resource: "pods", namespace: "a", verb: "watch" });
  await table(t, [
    { name: "watch=true", method: "GET", url: "/api/v1/namespaces/a/pods?watch=true", want: watch },
    { name: "watch=1", method: "GET", url: "/api/v1/namespaces/a/pods?watch=1", want: watch },
    { name: "watch=True", method: "GET", url: "/api/v1/namespaces/a/pods?watch=True", want: watch },
    // strconv-like parsing in the apiserver: anything but "0" and "false" (any case) is true.
    { name: "watch=yes", method: "GET", url: "/api/v1/namespaces/a/pods?watch=yes", want: watch },
    { name: "watch= (empty)", method: "GET", url: "/api/v1/namespaces/a/pods?watch=", want: watch },
    {
      name: "watch=false",
      method: "GET",
      url: "/api/v1/namespaces/a/pods?watch=false",
      want: list,
    },
    {
      name: "watch=False",
      method: "GET",
      url: "/api/v1/namespaces/a/pods?watch=False",
      want: list,
    },
    { name: "watch=0", method: "GET", url: "/api/v1/namespaces/a/pods?watch=0", want: list },
    {
      name: "the first watch value wins",
      method: "GET",
      url: "/api/v1/namespaces/a/pods?watch=0&watch=1",
      want: list,
    },
    {
      name: "other parameters do not make a watch",
      method: "GET",
      url: "/api/v1/namespaces/a/pods?resourceVersion=5&allowWatchBookmarks=true&limit=500",
      want: list,
    },
    {
      name: "watch=1 on an object is still a get",
      method: "GET",
      url: "/api/v1/namespaces/a/pods/p?watch=1",
      want: core({ resource: "pods", namespace: "a", name: "p", verb: "get" }),
    },
    {
      name: "legacy /watch/ prefix on a namespaced collection",
      method: "GET",
      url: "/api/v1/watch/namespaces/a/pods",
      want: watch,
    },
    {
      name: "legacy /watch/ prefix on an all-namespace collection",
      method: "GET",
      url: "/api/v1/watch/pods",
      want: core({ resource: "pods", verb: "watch" }),
    },
    {
      name: "legacy /watch/ prefix on one group object",
      method: "GET",
      url: "/apis/apps/v1/watch/namespaces/a/deployments/d",
      want: apps({ resource: "deployments", namespace: "a", name: "d", verb: "watch" }),
    },
    {
      name: "legacy /watch/ prefix on namespaces",
      method: "GET",
      url: "/api/v1/watch/namespaces",
      want: core({ resource: "namespaces", verb: "watch" }),
    },
  ]);
});

Deno.test("requestInfo maps write methods to verbs", async (t) => {
  await table(t, [
    {
      name: "POST to a collection is create",
      method: "POST",
      url: "/api/v1/namespaces/a/configmaps",
      want: core({ resource: "configmaps", namespace: "a", verb: "create" }),
    },
    {
      name: "PUT is update",
      method: "PUT",
      url: "/api/v1/namespaces/a/configmaps/c",
      want: core({ resource: "configmaps", namespace: "a", name: "c", verb: "update" }),
    },
    {
      name: "PATCH is patch",
      method: "PATCH",
      url: "/apis/apps/v1/namespaces/a/deployments/d",
      want: apps({ resource: "deployments", namespace: "a", name: "d", verb: "patch" }),
    },
    {
      name: "DELETE of an object is delete",
      method: "DELETE",
      url: "/api/v1/namespaces/a/configmaps/c",
      want: core({ resource: "configmaps", namespace: "a", name: "c", verb: "delete" }),
    },
    {
      name: "DELETE of a collection is deletecollection",
      method: "DELETE",
      url: "/api/v1/namespaces/a/configmaps",
      want: core({ resource: "configmaps", namespace: "a", verb: "deletecollection" }),
    },
    {
      name: "DELETE of a collection with a name field selector is still deletecollection",
      method: "DELETE",
      url: "/api/v1/namespaces/a/configmaps?fieldSelector=metadata.name%3Dc",
      want: core({ resource: "configmaps", namespace: "a", verb: "deletecollection" }),
    },
    {
      name: "POST of a binding subresource is create",
      method: "POST",
      url: "/api/v1/namespaces/a/pods/p/binding",
      want: core({
        resource: "pods",
        namespace: "a",
        name: "p",
        subresource: "binding",
        verb: "create",
      }),
    },
  ]);
});

Deno.test("requestInfo reads subresources and turns streaming ones into connect", async (t) => {
  const pod = { resource: "pods", namespace: "a", name: "p" };
  await table(t, [
    {
      name: "status get",
      method: "GET",
      url: "/api/v1/namespaces/a/pods/p/status",
      want: core({ ...pod, subresource: "status", verb: "get" }),
    },
    {
      name: "status update",
      method: "PUT",
      url: "/api/v1/namespaces/a/pods/p/status",
      want: core({ ...pod, subresource: "status", verb: "update" }),
    },
    {
      name: "log is a plain get",
      method: "GET",
      url: "/api/v1/namespaces/a/pods/p/log?follow=true",
      want: core({ ...pod, subresource: "log", verb: "get" }),
    },
    {
      name: "exec by POST is connect",
      method: "POST",
      url: "/api/v1/namespaces/a/pods/p/exec?command=ls",
      want: core({ ...pod, subresource: "exec", verb: "connect" }),
    },
    {
      name: "exec by GET (websocket) is connect",
      method: "GET",
      url: "/api/v1/namespaces/a/pods/p/exec?command=ls",
      want: core({ ...pod, subresource: "exec", verb: "connect" }),
    },
    {
      name: "attach is connect",
      method: "POST",
      url: "/api/v1/namespaces/a/pods/p/attach",
      want: core({ ...pod, subresource: "attach", verb: "connect" }),
    },
    {
      name: "portforward is connect",
      method: "GET",
      url: "/api/v1/namespaces/a/pods/p/portforward",
      want: core({ ...pod, subresource: "portforward", verb: "connect" }),
    },
    {
      name: "service proxy subresource with a trailing path is connect",
      method: "GET",
      url: "/api/v1/namespaces/a/services/s:http/proxy/some/path",
      want: core({
        resource: "services",
        namespace: "a",
        name: "s:http",
        subresource: "proxy",
        verb: "connect",
      }),
    },
    {
      name: "node proxy subresource is connect",
      method: "GET",
      url: "/api/v1/nodes/n1/proxy/metrics",
      want: core({ resource: "nodes", name: "n1", subresource: "proxy", verb: "connect" }),
    },
    {
      name: "legacy /proxy/ verb has no subresource",
      method: "GET",
      url: "/api/v1/proxy/namespaces/a/pods/p/some/path",
      want: core({ ...pod, verb: "proxy" }),
    },
    {
      name: "legacy /proxy/ verb on a cluster-scoped object",
      method: "GET",
      url: "/api/v1/proxy/nodes/n1/metrics",
      want: core({ resource: "nodes", name: "n1", verb: "proxy" }),
    },
  ]);
});

Deno.test("requestInfo treats discovery and other paths as non-resource requests", async (t) => {
  const cases: Case[] = [
    "/",
    "/api",
    "/api/",
    "/api/v1",
    "/api/v1/",
    "/apis",
    "/apis/apps",
    "/apis/apps/v1",
    "/apis/apps/v1/",
    "/healthz",
    "/readyz?verbose",
    "/livez/etcd",
    "/version",
    "/openapi/v2",
    "/openapi/v3/api/v1",
    "/metrics",
    "/apiz/v1/pods",
  ].map((url) => ({ name: url, method: "GET", url, want: {} }));
  cases.push({
    name: "POST keeps its lowercase method",
    method: "POST",
    url: "/healthz",
    want: {},
  });
  await table(
    t,
    cases.map((c) => ({ ...c, want: { verb: c.method.toLowerCase() } })),
  );
});

Deno.test("requestInfo names the object of a list by fieldSelector=metadata.name", async (t) => {
  const named = (name: string, verb = "list") =>
    core({ resource: "pods", namespace: "a", name, verb });
  const base = "/api/v1/namespaces/a/pods?fieldSelector=";
  await table(t, [
    { name: "=", method: "GET", url: base + "metadata.name%3Dp", want: named("p") },
    { name: "==", method: "GET", url: base + "metadata.name%3D%3Dp", want: named("p") },
    { name: "unencoded =", method: "GET", url: base + "metadata.name=p", want: named("p") },
    {
      name: "on a watch",
      method: "GET",
      url: base + "metadata.name%3Dp&watch=1",
      want: named("p", "watch"),
    },
    {
      name: "with another requirement, as RequiresExactMatch",
      method: "GET",
      url: base + "metadata.namespace%3Da,metadata.name%3Dp",
      want: named("p"),
    },
    {
      name: "an escaped value is unescaped",
      method: "GET",
      url: base + encodeURIComponent("metadata.name=a\\,b"),
      want: named("a,b"),
    },
    { name: "!= names nothing", method: "GET", url: base + "metadata.name!%3Dp", want: named("") },
    {
      name: "another field names nothing",
      method: "GET",
      url: base + "spec.nodeName%3Dn1",
      want: named(""),
    },
    {
      name: "an unparsable selector names nothing",
      method: "GET",
      url: base + "metadata.name",
      want: named(""),
    },
    {
      name: "a name that is not a valid path segment names nothing",
      method: "GET",
      url: base + encodeURIComponent("metadata.name=a/b"),
      want: named(""),
    },
    {
      name: "a name of .. names nothing",
      method: "GET",
      url: base + "metadata.name%3D..",
      want: named(""),
    },
  ]);
});

Deno.test("requestInfo ignores trailing slashes and decodes escaped path segments", async (t) => {
  await table(t, [
    {
      name: "collection with a trailing slash",
      method: "GET",
      url: "/api/v1/namespaces/a/pods/",
      want: core({ resource: "pods", namespace: "a", verb: "list" }),
    },
    {
      name: "object with a trailing slash",
      method: "GET",
      url: "/api/v1/namespaces/a/pods/p/",
      want: core({ resource: "pods", namespace: "a", name: "p", verb: "get" }),
    },
    {
      name: "namespace object with a trailing slash",
      method: "GET",
      url: "/api/v1/namespaces/a/",
      want: core({ resource: "namespaces", namespace: "a", name: "a", verb: "get" }),
    },
    {
      name: "an empty inner segment is kept, so it is not mistaken for a shorter path",
      method: "GET",
      url: "/api/v1/namespaces/a//pods",
      want: core({ resource: "", namespace: "a", name: "pods", verb: "get" }),
    },
    {
      name: "an empty namespace segment is no namespace",
      method: "GET",
      url: "/api/v1/namespaces//pods",
      want: core({ resource: "pods", verb: "list" }),
    },
    {
      name: "a percent-encoded name is decoded, as Go's URL.Path is",
      method: "GET",
      url: "/apis/rbac.authorization.k8s.io/v1/clusterroles/system%3Anode",
      want: {
        isResource: true,
        apiPrefix: "apis",
        group: "rbac.authorization.k8s.io",
        version: "v1",
        resource: "clusterroles",
        name: "system:node",
        verb: "get",
      },
    },
    {
      name: "an unencoded colon in a name",
      method: "GET",
      url: "/apis/rbac.authorization.k8s.io/v1/clusterroles/system:node",
      want: {
        isResource: true,
        apiPrefix: "apis",
        group: "rbac.authorization.k8s.io",
        version: "v1",
        resource: "clusterroles",
        name: "system:node",
        verb: "get",
      },
    },
    {
      name: "a malformed escape is kept as sent",
      method: "GET",
      url: "/api/v1/namespaces/a/configmaps/x%zz",
      want: core({ resource: "configmaps", namespace: "a", name: "x%zz", verb: "get" }),
    },
  ]);
});

Deno.test("requestInfo keeps the request path unchanged", () => {
  const url = new URL("http://127.0.0.1/api/v1/namespaces/a/configmaps/system%3Ax/");
  assertEquals(requestInfo("GET", url).path, "/api/v1/namespaces/a/configmaps/system%3Ax/");
});

Deno.test("qualifiedResource adds the group to non-core resources", () => {
  assertEquals(qualifiedResource({ resource: "pods", group: "" }), "pods");
  assertEquals(
    qualifiedResource({ resource: "endpointslices", group: "discovery.k8s.io" }),
    "endpointslices.discovery.k8s.io",
  );
});
