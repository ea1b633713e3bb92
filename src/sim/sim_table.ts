/**
 * @module Server-side printing: the `meta.k8s.io` Table and PartialObjectMetadata forms kubectl
 * asks for, with the columns `kubectl get` shows for each resource.
 */
import type { SimResource } from "./sim_resources.ts";
import type { KubeObject } from "./sim_types.ts";

/** A Table column, as metav1.TableColumnDefinition. */
export interface SimColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

type Cell = string | number | boolean;
// Printers read deep optional paths of arbitrary objects; typing each path would add nothing.
// deno-lint-ignore no-explicit-any
type Obj = Record<string, any>;

function col(name: string, type = "string", priority = 0, format = ""): SimColumn {
  return { name, type, format, description: `${name} of the object`, priority };
}

/** kubectl's duration.HumanDuration, so ages read like a real cluster's. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return "<invalid>";
  if (s < 0) return "0s";
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 24 * 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (h < 24 * 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  if (h < 24 * 365 * 8) return d % 365 === 0 ? `${y}y` : `${y}y${d % 365}d`;
  return `${y}y`;
}

function age(o: KubeObject): string {
  const t = Date.parse(o.metadata.creationTimestamp ?? "");
  return Number.isNaN(t) ? "<unknown>" : humanDuration(Date.now() - t);
}

function count(v: unknown): number {
  return v && typeof v === "object" ? Object.keys(v).length : 0;
}

function podCells(o: Obj): Cell[] {
  const statuses: Obj[] = o.status?.containerStatuses ?? [];
  const total = (o.spec?.containers ?? []).length;
  const ready = statuses.filter((c) => c.ready).length;
  const restarts = statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0);
  return [
    `${ready}/${total}`,
    o.status?.reason ?? o.status?.phase ?? "Unknown",
    restarts,
    age(o as KubeObject),
    o.status?.podIP ?? "<none>",
    o.spec?.nodeName ?? "<none>",
  ];
}

/** Columns after Name, and the cells for them, per resource; unknown ones get Age only. */
const PRINTERS: Record<string, { columns: SimColumn[]; cells(o: Obj): Cell[] }> = {
  configmaps: {
    columns: [col("Data", "integer"), col("Age")],
    cells: (o) => [count(o.data) + count(o.binaryData), age(o as KubeObject)],
  },
  secrets: {
    columns: [col("Type"), col("Data", "integer"), col("Age")],
    cells: (o) => [o.type ?? "Opaque", count(o.data), age(o as KubeObject)],
  },
  pods: {
    columns: [
      col("Ready"),
      col("Status"),
      col("Restarts", "integer"),
      col("Age"),
      col("IP", "string", 1),
      col("Node", "string", 1),
    ],
    cells: podCells,
  },
  namespaces: {
    columns: [col("Status"), col("Age")],
    cells: (o) => [o.status?.phase ?? "Active", age(o as KubeObject)],
  },
  nodes: {
    columns: [col("Status"), col("Roles"), col("Age"), col("Version")],
    cells: (o) => [
      (o.status?.conditions ?? []).find((c: Obj) => c.type === "Ready")?.status === "True"
        ? "Ready"
        : "NotReady",
      "<none>",
      age(o as KubeObject),
      o.status?.nodeInfo?.kubeletVersion ?? "",
    ],
  },
  services: {
    columns: [col("Type"), col("Cluster-IP"), col("External-IP"), col("Port(s)"), col("Age")],
    cells: (o) => [
      o.spec?.type ?? "ClusterIP",
      o.spec?.clusterIP ?? "<none>",
      "<none>",
      (o.spec?.ports ?? []).map((p: Obj) => `${p.port}/${p.protocol ?? "TCP"}`).join(",") ||
      "<none>",
      age(o as KubeObject),
    ],
  },
  endpoints: {
    columns: [col("Endpoints"), col("Age")],
    cells: (o) => [
      (o.subsets ?? []).flatMap((s: Obj) =>
        (s.addresses ?? []).flatMap((a: Obj) =>
          (s.ports ?? [{}]).map((p: Obj) => p.port ? `${a.ip}:${p.port}` : a.ip)
        )
      ).join(",") || "<none>",
      age(o as KubeObject),
    ],
  },
  endpointslices: {
    columns: [col("AddressType"), col("Ports"), col("Endpoints"), col("Age")],
    cells: (o) => [
      o.addressType ?? "",
      (o.ports ?? []).map((p: Obj) => p.port).join(",") || "<unset>",
      (o.endpoints ?? []).flatMap((e: Obj) => e.addresses ?? []).join(",") || "<unset>",
      age(o as KubeObject),
    ],
  },
  events: {
    columns: [col("Type"), col("Reason"), col("Object"), col("Message"), col("Age")],
    cells: (o) => [
      o.type ?? "",
      o.reason ?? "",
      `${String(o.involvedObject?.kind ?? "").toLowerCase()}/${o.involvedObject?.name ?? ""}`,
      o.message ?? "",
      age(o as KubeObject),
    ],
  },
};

const DEFAULT_PRINTER = { columns: [col("Age")], cells: (o: Obj) => [age(o as KubeObject)] };

/** The column definitions kubectl prints for `r`. */
export function tableColumns(r: SimResource): SimColumn[] {
  return [col("Name", "string", 0, "name"), ...(PRINTERS[r.resource] ?? DEFAULT_PRINTER).columns];
}

/** The metadata-only form of an object. */
export function partialObject(o: KubeObject): KubeObject {
  return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: o.metadata };
}

/**
 * A Table of `objects`. `includeObject` chooses what each row embeds; `withColumns` false
 * leaves columnDefinitions empty, as watch events after the first carry them.
 */
export function toTable(
  r: SimResource,
  objects: KubeObject[],
  metadata: Record<string, unknown>,
  includeObject: "None" | "Metadata" | "Object",
  withColumns = true,
): KubeObject {
  const printer = PRINTERS[r.resource] ?? DEFAULT_PRINTER;
  const rows = objects.map((o) => {
    const row: Record<string, unknown> = { cells: [o.metadata.name ?? "", ...printer.cells(o)] };
    if (includeObject === "Object") row.object = o;
    else if (includeObject === "Metadata") row.object = partialObject(o);
    return row;
  });
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata,
    columnDefinitions: withColumns ? tableColumns(r) : [],
    rows,
  };
}
