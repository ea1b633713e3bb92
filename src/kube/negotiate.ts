/**
 * @module Content negotiation for filtered and cached resources: keep the JSON media ranges of
 * the client's `Accept` (Table and PartialObjectMetadata variants included), drop protobuf.
 *
 * kubelet asks `application/vnd.kubernetes.protobuf,application/json` and decodes by the
 * response's Content-Type, so it takes JSON; kubectl asks for `as=Table` JSON first.
 */

/** What the upstream should be asked for, and what shape will come back. */
export interface JsonNegotiation {
  /** The `Accept` to send upstream; null when the client accepts no JSON at all (→ 406). */
  accept: string | null;
  /** The preferred range asks for a `meta.k8s.io` Table. */
  table: boolean;
  /** The preferred range asks for PartialObjectMetadata(List). */
  partial: boolean;
}

const PROTOBUF = "application/vnd.kubernetes.protobuf";

/** Splits an Accept header on commas outside quoted strings. */
function ranges(accept: string): string[] {
  return accept.split(",").map((r) => r.trim()).filter((r) => r !== "");
}

function mediaType(range: string): string {
  return range.split(";")[0].trim().toLowerCase();
}

function param(range: string, name: string): string | undefined {
  for (const p of range.split(";").slice(1)) {
    const [k, v] = p.split("=");
    if (k?.trim().toLowerCase() === name) return v?.trim().replace(/^"|"$/g, "");
  }
  return undefined;
}

/**
 * Rewrites `accept` so the upstream answers JSON.
 *
 * @example
 * ```ts
 * import { negotiateJson } from "./negotiate.ts";
 * negotiateJson("application/vnd.kubernetes.protobuf,application/json").accept; // "application/json"
 * ```
 */
export function negotiateJson(accept: string | null): JsonNegotiation {
  if (accept === null || accept.trim() === "") {
    return { accept: "application/json", table: false, partial: false };
  }
  const kept = ranges(accept).filter((r) => {
    const t = mediaType(r);
    return t !== PROTOBUF &&
      (t === "application/json" || t === "*/*" || t === "application/*");
  });
  if (kept.length === 0) return { accept: null, table: false, partial: false };
  const as = param(kept[0], "as");
  return {
    accept: kept.join(","),
    table: as === "Table",
    partial: as === "PartialObjectMetadataList" || as === "PartialObjectMetadata",
  };
}

/** True when the response's Content-Type is JSON (whatever its parameters). */
export function isJsonContentType(contentType: string | null): boolean {
  return contentType !== null && mediaType(contentType) === "application/json";
}

/** True when a JSON response's Content-Type says it is a Table. */
export function isTableContentType(contentType: string | null): boolean {
  return contentType !== null && param(contentType, "as") === "Table";
}
