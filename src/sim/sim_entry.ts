/**
 * @module One stored object version: its JSON bytes serialised once on write, plus the labels
 * and field values selectors need, so lists and watches never re-encode or re-parse it.
 */
import { KubeStatusError } from "../kube/status.ts";
import { fieldValue, qualifiedName, type SimResource } from "./sim_resources.ts";
import type { KubeObject } from "./sim_types.ts";

/** An immutable stored object version. */
export interface SimEntry {
  /** etcd-style key, `ns/name` or `name`; lists are sorted by it as etcd ranges are. */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly rv: number;
  readonly uid: string;
  /** UTF-8 JSON of the whole object. Never mutated: shared by every response. */
  readonly json: Uint8Array<ArrayBuffer>;
  readonly labels: Readonly<Record<string, string>>;
  /** Field selector values, `metadata.name` and `metadata.namespace` included. */
  readonly fields: Readonly<Record<string, string>>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** ObjectMeta's Go field order, so the sim's JSON reads like the apiserver's. */
const META_ORDER = [
  "name",
  "generateName",
  "namespace",
  "selfLink",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "labels",
  "annotations",
  "ownerReferences",
  "finalizers",
  "managedFields",
];

/** Key for an object, as etcd orders them. */
export function entryKey(namespace: string, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** Puts `kind`, `apiVersion`, `metadata` first and metadata fields in Go order. */
export function canonicalObject(r: SimResource, obj: KubeObject): KubeObject {
  const meta: Record<string, unknown> = {};
  for (const k of META_ORDER) if (obj.metadata[k] !== undefined) meta[k] = obj.metadata[k];
  for (const [k, v] of Object.entries(obj.metadata)) if (!(k in meta)) meta[k] = v;
  const { kind: _k, apiVersion: _a, metadata: _m, ...rest } = obj;
  return { kind: r.kind, apiVersion: r.apiVersion, metadata: meta, ...rest };
}

/** Serialises a canonical object into an entry. */
export function makeEntry(r: SimResource, obj: KubeObject): SimEntry {
  const namespace = obj.metadata.namespace ?? "";
  const name = obj.metadata.name ?? "";
  const fields: Record<string, string> = {
    "metadata.name": name,
    "metadata.namespace": namespace,
  };
  for (const f of r.fields) fields[f] = fieldValue(obj, f);
  return {
    key: entryKey(namespace, name),
    namespace,
    name,
    rv: Number(obj.metadata.resourceVersion ?? 0),
    uid: obj.metadata.uid ?? "",
    json: encoder.encode(JSON.stringify(obj)),
    labels: { ...(obj.metadata.labels ?? {}) },
    fields,
  };
}

/** A fresh decoded copy of an entry's object; callers may mutate it. */
export function entryObject(e: SimEntry): KubeObject {
  return JSON.parse(decoder.decode(e.json));
}

/** The same object stamped with another resourceVersion (a DELETED event carries the delete's). */
export function restamp(r: SimResource, e: SimEntry, rv: number): SimEntry {
  const obj = entryObject(e);
  obj.metadata.resourceVersion = String(rv);
  return makeEntry(r, obj);
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/**
 * Checks a name as apimachinery's ValidateObjectMeta does for DNS-subdomain names.
 *
 * @throws {KubeStatusError} 422 Invalid naming the field, as the apiserver words it.
 */
export function validateName(r: SimResource, name: string | undefined): string {
  const invalid = (detail: string) =>
    new KubeStatusError(422, "Invalid", `${r.kind} "${name ?? ""}" is invalid: ${detail}`, {
      details: { name: name ?? "", group: r.group || undefined, kind: r.kind },
    });
  if (typeof name !== "string" || name === "") {
    throw invalid("metadata.name: Required value: name or generateName is required");
  }
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    throw invalid(
      `metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of ` +
        `lower case alphanumeric characters, '-' or '.', and must start and end with an ` +
        `alphanumeric character`,
    );
  }
  return name;
}

/** Details that name the object in NotFound/AlreadyExists/Conflict, as the apiserver fills them. */
export function errorDetails(
  r: SimResource,
  name: string,
): { name: string; group?: string; kind: string } {
  return r.group ? { name, group: r.group, kind: r.resource } : { name, kind: r.resource };
}

/** 404 NotFound for a named object. */
export function notFound(r: SimResource, name: string): KubeStatusError {
  return new KubeStatusError(404, "NotFound", `${qualifiedName(r)} "${name}" not found`, {
    details: errorDetails(r, name),
  });
}

/** 409 Conflict for a stale resourceVersion or failed precondition. */
export function conflict(r: SimResource, name: string, why: string): KubeStatusError {
  return new KubeStatusError(
    409,
    "Conflict",
    `Operation cannot be fulfilled on ${qualifiedName(r)} "${name}": ${why}`,
    { details: errorDetails(r, name) },
  );
}
