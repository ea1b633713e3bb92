import {
  isJsonContentType,
  isTableContentType,
  type JsonNegotiation,
  negotiateJson,
} from "../../src/kube/negotiate.ts";
import { assertEquals } from "../assert.ts";

const KUBECTL_TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io," +
  "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
const PARTIAL = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io," +
  "application/json;as=PartialObjectMetadataList;v=v1beta1;g=meta.k8s.io,application/json";

Deno.test("negotiateJson keeps the JSON ranges a client accepts", async (t) => {
  const cases: [string, string | null, JsonNegotiation][] = [
    [
      "kubelet's protobuf-first Accept gets JSON",
      "application/vnd.kubernetes.protobuf,application/json",
      { accept: "application/json", table: false, partial: false },
    ],
    [
      "kubectl's Table Accept is kept whole",
      KUBECTL_TABLE,
      { accept: KUBECTL_TABLE, table: true, partial: false },
    ],
    [
      "kubectl's Table Accept with a protobuf Table range drops only that range",
      "application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io," + KUBECTL_TABLE,
      { accept: KUBECTL_TABLE, table: true, partial: false },
    ],
    [
      "PartialObjectMetadataList",
      PARTIAL,
      { accept: PARTIAL, table: false, partial: true },
    ],
    [
      "PartialObjectMetadata for a get",
      "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io",
      {
        accept: "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io",
        table: false,
        partial: true,
      },
    ],
    [
      "protobuf only: nothing acceptable",
      "application/vnd.kubernetes.protobuf",
      { accept: null, table: false, partial: false },
    ],
    [
      "protobuf watch stream only: nothing acceptable",
      "application/vnd.kubernetes.protobuf;stream=watch",
      { accept: null, table: false, partial: false },
    ],
    [
      "YAML only: nothing acceptable",
      "application/yaml",
      { accept: null, table: false, partial: false },
    ],
    ["missing Accept means JSON", null, {
      accept: "application/json",
      table: false,
      partial: false,
    }],
    ["empty Accept means JSON", "  ", { accept: "application/json", table: false, partial: false }],
    ["*/* is kept", "*/*", { accept: "*/*", table: false, partial: false }],
    ["application/* is kept", "application/*", {
      accept: "application/*",
      table: false,
      partial: false,
    }],
    [
      "spaces, case and q-values",
      "Application/JSON; q=0.9 , application/vnd.kubernetes.protobuf",
      { accept: "Application/JSON; q=0.9", table: false, partial: false },
    ],
    [
      "quoted as parameter",
      'application/json;as="Table";v=v1;g=meta.k8s.io',
      { accept: 'application/json;as="Table";v=v1;g=meta.k8s.io', table: true, partial: false },
    ],
    [
      "the preference is the first kept range",
      "application/json,application/json;as=Table;v=v1;g=meta.k8s.io",
      {
        accept: "application/json,application/json;as=Table;v=v1;g=meta.k8s.io",
        table: false,
        partial: false,
      },
    ],
  ];
  for (const [name, accept, want] of cases) {
    await t.step(name, () => assertEquals(negotiateJson(accept), want));
  }
});

Deno.test("isJsonContentType accepts JSON with any parameters", () => {
  assertEquals(isJsonContentType("application/json"), true);
  assertEquals(isJsonContentType("application/json; charset=utf-8"), true);
  assertEquals(isJsonContentType("Application/JSON;as=Table;v=v1;g=meta.k8s.io"), true);
  assertEquals(isJsonContentType("application/vnd.kubernetes.protobuf"), false);
  assertEquals(isJsonContentType("application/json-patch+json"), false);
  assertEquals(isJsonContentType(null), false);
});

Deno.test("isTableContentType recognises a Table response", () => {
  assertEquals(isTableContentType("application/json;as=Table;v=v1;g=meta.k8s.io"), true);
  assertEquals(isTableContentType("application/json; as=Table; v=v1; g=meta.k8s.io"), true);
  assertEquals(isTableContentType("application/json"), false);
  assertEquals(isTableContentType("application/json;as=PartialObjectMetadataList"), false);
  assertEquals(isTableContentType(null), false);
});
