/**
 * @module Finds the complete entry that can answer a request offline.
 *
 * An entry covers a request when every object the request can match is in the entry: same
 * resource, same namespace or all namespaces, and the entry's selector requirements are a
 * subset of the request's (fewer requirements = a broader entry). The lead applies the
 * request's own selectors to the entry's objects. A get is a request with the field
 * requirement `metadata.name=<name>`, so the entry of that get and any broader list cover it.
 */
import { type EntryRef, META_PREFIX } from "./cache_keys.ts";
import { compareResourceVersions, decodeMeta, type EntryMeta } from "./entry_meta.ts";
import {
  type FieldSelector,
  formatFieldSelector,
  parseFieldSelector,
} from "../kube/field_selector.ts";
import {
  formatLabelRequirement,
  type LabelSelector,
  parseLabelSelector,
} from "../kube/label_selector.ts";

/** What a list or get asks for. */
export interface CoverRequest {
  /** Resource key, as the entries were written with. */
  resource: string;
  /** Namespace, or `""` for all namespaces / cluster-scoped. */
  namespace: string;
  labelSelector: LabelSelector;
  fieldSelector: FieldSelector;
  /** Set for a get. */
  name?: string;
}

/** The chosen entry, its meta, and how old its data is. */
export interface CoveringEntry {
  entry: EntryRef;
  meta: EntryMeta;
  /** Milliseconds since the entry last matched the apiserver. */
  ageMs: number;
}

/** Options of {@linkcode findCoveringEntry}. */
export interface FindCoveringOptions {
  /** @default Date.now */
  now?: () => number;
}

/**
 * The newest complete entry of the partition that covers the request, the narrowest of
 * equally new ones, or null (the caller answers 503: a list that no entry covers is never
 * served incomplete).
 *
 * @throws the KV error when the metas cannot be read.
 */
export async function findCoveringEntry(
  kv: Deno.Kv,
  partition: string,
  req: CoverRequest,
  options: FindCoveringOptions = {},
): Promise<CoveringEntry | null> {
  const labels = new Set(req.labelSelector.map(formatLabelRequirement));
  const fields = new Set(req.fieldSelector.map((r) => formatFieldSelector([r])));
  const nameReq = req.name === undefined
    ? ""
    : formatFieldSelector([{ field: "metadata.name", op: "=", value: req.name }]);
  if (nameReq) fields.add(nameReq);
  let best: { entry: EntryRef; meta: EntryMeta; score: number } | null = null;
  for await (const { key, value } of kv.list({ prefix: [META_PREFIX, partition] })) {
    const meta = decodeMeta(value);
    const id = key[2];
    if (!meta || typeof id !== "string" || meta.resource !== req.resource) continue;
    if (meta.namespace !== "" && meta.namespace !== req.namespace) continue;
    let entryLabels: string[];
    let entryFields: string[];
    try {
      entryLabels = parseLabelSelector(meta.labelSelector).map(formatLabelRequirement);
      entryFields = parseFieldSelector(meta.fieldSelector).map((r) => formatFieldSelector([r]));
    } catch {
      continue;
    }
    if (!entryLabels.every((l) => labels.has(l)) || !entryFields.every((f) => fields.has(f))) {
      continue;
    }
    // Narrowest first among equally fresh entries: one named object, then a namespace, then
    // more requirements.
    const score = (nameReq && entryFields.includes(nameReq) ? 1_000_000 : 0) +
      (meta.namespace !== "" ? 10_000 : 0) + entryLabels.length + entryFields.length;
    // The newest snapshot wins before the narrowest: an older get-by-name entry must not answer
    // for an object that a later list (or its watch) saw modified or deleted, or offline get and
    // list would disagree. resourceVersions of one resource compare; else the commit time does.
    const fresher = best ? newer(meta, best.meta) : 1;
    if (fresher > 0 || (fresher === 0 && score > best!.score)) {
      best = {
        entry: {
          partition,
          id,
          resource: meta.resource,
          namespace: meta.namespace,
          labelSelector: meta.labelSelector,
          fieldSelector: meta.fieldSelector,
        },
        meta,
        score,
      };
    }
  }
  if (!best) return null;
  const ageMs = Math.max(0, (options.now ?? Date.now)() - best.meta.updatedAt);
  return { entry: best.entry, meta: best.meta, ageMs };
}

/** > 0 when `a` is a later snapshot than `b`, < 0 when earlier, 0 when the same. */
function newer(a: EntryMeta, b: EntryMeta): number {
  return compareResourceVersions(a.resourceVersion, b.resourceVersion) ??
    Math.sign(a.updatedAt - b.updatedAt);
}
