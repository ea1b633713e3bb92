import { kubeStatus, KubeStatusError, statusResponse } from "../../src/kube/status.ts";
import { assertEquals } from "../assert.ts";

Deno.test("kubeStatus builds the apiserver's Status shape", () => {
  assertEquals(kubeStatus(404, "NotFound", 'configmaps "c" not found'), {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: 'configmaps "c" not found',
    reason: "NotFound",
    code: 404,
  });
  assertEquals(
    kubeStatus(404, "NotFound", "x", { name: "c", kind: "configmaps" }).details,
    { name: "c", kind: "configmaps" },
  );
  assertEquals("details" in kubeStatus(500, "InternalError", "x"), false);
});

Deno.test("statusResponse answers JSON with the Status code", async () => {
  const res = statusResponse(kubeStatus(503, "ServiceUnavailable", "offline"), {
    "retry-after": "1",
    "content-type": "text/plain",
  });
  assertEquals(res.status, 503);
  assertEquals(res.headers.get("content-type"), "application/json");
  assertEquals(res.headers.get("retry-after"), "1");
  assertEquals(await res.json(), kubeStatus(503, "ServiceUnavailable", "offline"));
});

Deno.test("KubeStatusError.getResponse returns the Status a client parses", async () => {
  const cause = new Error("boom");
  const e = new KubeStatusError(410, "Expired", "too old resource version: 1 (5)", {
    cause,
    details: { kind: "pods" },
  });
  assertEquals(e instanceof Error, true);
  assertEquals(e.name, "KubeStatusError");
  assertEquals(e.message, "too old resource version: 1 (5)");
  assertEquals(e.cause, cause);
  assertEquals(e.status.code, 410);
  const res = e.getResponse({ "audit-id": "a1" });
  assertEquals(res.status, 410);
  assertEquals(res.headers.get("content-type"), "application/json");
  assertEquals(res.headers.get("audit-id"), "a1");
  assertEquals(await res.json(), {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: "too old resource version: 1 (5)",
    reason: "Expired",
    code: 410,
    details: { kind: "pods" },
  });
  // Each call is a fresh Response with an unread body.
  const again = e.getResponse();
  assertEquals((await again.json()).reason, "Expired");
});
