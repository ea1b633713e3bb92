/**
 * @module List and watch options: the selector predicate and the opaque continue token.
 */
import { type FieldSelector, parseFieldSelector } from "../kube/field_selector.ts";
import { type LabelSelector, matchLabels, parseLabelSelector } from "../kube/label_selector.ts";
import { KubeStatusError } from "../kube/status.ts";
import type { SimEntry } from "./sim_entry.ts";
import type { SimResource } from "./sim_resources.ts";

/** Options of a list, watch or deletecollection, as their query parameters spell them. */
export interface SimListOptions {
  /** Restricts to one namespace; empty or absent means all. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size; 0 or absent means everything. */
  limit?: number;
  continue?: string;
  /** `""` (most recent), `"0"` (any) or a number. */
  resourceVersion?: string;
  /** `Exact` or `NotOlderThan`; absent means NotOlderThan unless `limit` is set. */
  resourceVersionMatch?: string;
}

/** Which entries a list or watch selects. */
export interface SimPredicate {
  namespace: string;
  /** True when only the namespace restricts: the apiserver then reports remainingItemCount. */
  empty: boolean;
  matches(e: SimEntry): boolean;
}

function badRequest(message: string): KubeStatusError {
  return new KubeStatusError(400, "BadRequest", message);
}

/**
 * Parses the selectors of `opts` for resource `r`.
 *
 * @throws {KubeStatusError} 400 BadRequest for a malformed selector or a field label the
 * resource does not support (the apiserver's `field label not supported` answer).
 */
export function simPredicate(r: SimResource, opts: SimListOptions): SimPredicate {
  let labels: LabelSelector;
  let fields: FieldSelector;
  try {
    labels = parseLabelSelector(opts.labelSelector ?? "");
    fields = parseFieldSelector(opts.fieldSelector ?? "");
  } catch (e) {
    throw badRequest(e instanceof Error ? e.message : String(e));
  }
  for (const f of fields) {
    if (
      f.field !== "metadata.name" && f.field !== "metadata.namespace" && !r.fields.includes(f.field)
    ) {
      throw badRequest(`field label not supported: ${f.field}`);
    }
  }
  const namespace = r.namespaced ? opts.namespace ?? "" : "";
  return {
    namespace,
    empty: labels.length === 0 && fields.length === 0,
    matches(e: SimEntry): boolean {
      if (!matchLabels(labels, e.labels)) return false;
      for (const f of fields) {
        const v = e.fields[f.field] ?? "";
        if (f.op === "=" ? v !== f.value : v === f.value) return false;
      }
      return true;
    },
  };
}

/** What a continue token carries: the list's resourceVersion and the first key of the next page. */
export interface SimContinue {
  rv: number;
  start: string;
}

function base64url(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * Encodes a continue token the way apiserver's etcd3 storage does: raw-URL base64 of
 * `{"v":"meta.k8s.io/v1","rv":N,"start":"<key>\u0000"}`.
 */
export function encodeContinue(rv: number, lastKey: string): string {
  return base64url(JSON.stringify({ v: "meta.k8s.io/v1", rv, start: `${lastKey}\u0000` }));
}

/**
 * Decodes a continue token.
 *
 * @throws {KubeStatusError} 400 BadRequest when it is not one the sim made.
 */
export function decodeContinue(token: string): SimContinue {
  try {
    const b64 = token.replaceAll("-", "+").replaceAll("_", "/");
    const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
    const json = new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
    const v = JSON.parse(json);
    if (v?.v === "meta.k8s.io/v1" && Number.isSafeInteger(v.rv) && typeof v.start === "string") {
      return { rv: v.rv, start: v.start };
    }
  } catch {
    // Falls through to the one error below: the cause is the token, not the parser.
  }
  throw badRequest(`continue key is not valid: "${token}"`);
}
