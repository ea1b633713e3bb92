/**
 * @module Content negotiation: which of the sim's JSON forms an Accept header asks for. The sim
 * speaks JSON only; protobuf-only clients get 406, mixed ones (kubelet's) get JSON.
 */

/** The response forms the sim can produce. */
export type SimOutput =
  | { form: "json" }
  | { form: "table"; version: string; includeObject: "None" | "Metadata" | "Object" }
  | { form: "partial"; version: string };

interface MediaRange {
  type: string;
  params: Record<string, string>;
}

function parseAccept(accept: string): MediaRange[] {
  return accept.split(",").map((part) => {
    const [type, ...params] = part.split(";").map((s) => s.trim());
    const p: Record<string, string> = {};
    for (const kv of params) {
      const eq = kv.indexOf("=");
      if (eq > 0) {
        p[kv.slice(0, eq).trim().toLowerCase()] = kv.slice(eq + 1).trim().replace(/^"|"$/g, "");
      }
    }
    return { type: type.toLowerCase(), params: p };
  }).filter((m) => m.type !== "");
}

/**
 * The first acceptable form in the client's order, or null when none is (answer 406).
 * `as=Table` / `as=PartialObjectMetadata[List]` need `g=meta.k8s.io`, as the apiserver requires.
 * `includeObject` comes from the query (`Metadata` by default, as kubectl relies on).
 */
export function negotiateOutput(
  accept: string | null,
  includeObject?: string | null,
): SimOutput | null {
  if (accept === null || accept.trim() === "") return { form: "json" };
  for (const m of parseAccept(accept)) {
    if (m.type !== "application/json" && m.type !== "application/*" && m.type !== "*/*") continue;
    const as = m.params.as;
    if (as === undefined) return { form: "json" };
    if (m.params.g !== "meta.k8s.io" || (m.params.v !== "v1" && m.params.v !== "v1beta1")) continue;
    if (as === "Table") {
      const inc = includeObject === "None" || includeObject === "Object"
        ? includeObject
        : "Metadata";
      return { form: "table", version: m.params.v, includeObject: inc };
    }
    if (as === "PartialObjectMetadata" || as === "PartialObjectMetadataList") {
      return { form: "partial", version: m.params.v };
    }
  }
  return null;
}
