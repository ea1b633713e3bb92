/**
 * @module The resource types the simulated apiserver serves, with what discovery, field
 * selectors and kubectl's tables need to know about each.
 */
import { fieldOf } from "../kube/field_selector.ts";
import { KubeStatusError } from "../kube/status.ts";

/** One served resource type. */
export interface SimResource {
  group: string;
  version: string;
  /** `v1` or `group/version`. */
  apiVersion: string;
  /** Plural, as in URLs. */
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  /** Field selector labels beyond `metadata.name` and `metadata.namespace`. */
  fields: string[];
}

function def(
  group: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  shortNames: string[],
  fields: string[] = [],
): SimResource {
  const version = "v1";
  return {
    group,
    version,
    apiVersion: group ? `${group}/${version}` : version,
    resource,
    singular: kind.toLowerCase(),
    kind,
    namespaced,
    shortNames,
    fields,
  };
}

/**
 * Field labels per resource follow each type's registry `GetAttrs`/`AddFieldLabelConversionFunc`
 * in kubernetes/pkg/apis/core; anything else is a 400 like the real apiserver answers.
 */
export const SIM_RESOURCES: readonly SimResource[] = [
  def("", "configmaps", "ConfigMap", true, ["cm"]),
  def("", "endpoints", "Endpoints", true, ["ep"]),
  def("", "events", "Event", true, ["ev"], [
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
  ]),
  def("", "namespaces", "Namespace", false, ["ns"], ["status.phase"]),
  def("", "nodes", "Node", false, ["no"], ["spec.unschedulable"]),
  def("", "pods", "Pod", true, ["po"], [
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "status.phase",
    "status.podIP",
    "status.nominatedNodeName",
  ]),
  def("", "secrets", "Secret", true, [], ["type"]),
  def("", "services", "Service", true, ["svc"], ["spec.clusterIP", "spec.type"]),
  def("discovery.k8s.io", "endpointslices", "EndpointSlice", true, [], ["addressType"]),
];

const BY_PLURAL = new Map(SIM_RESOURCES.map((r) => [r.resource, r]));

/**
 * The served resource for a plural name (`configmaps`, or `endpointslices.discovery.k8s.io`).
 *
 * @throws {KubeStatusError} 404 NotFound when the sim does not serve it.
 */
export function simResource(resource: string): SimResource {
  const dot = resource.indexOf(".");
  const r = BY_PLURAL.get(dot < 0 ? resource : resource.slice(0, dot));
  if (!r || (dot >= 0 && resource.slice(dot + 1) !== r.group)) {
    throw new KubeStatusError(404, "NotFound", "the server could not find the requested resource");
  }
  return r;
}

/** `configmaps` or `endpointslices.discovery.k8s.io`, as the apiserver names it in messages. */
export function qualifiedName(r: SimResource): string {
  return r.group ? `${r.resource}.${r.group}` : r.resource;
}

/** The value of a field selector label for a decoded object; missing reads as `""`. */
export function fieldValue(obj: unknown, field: string): string {
  // Events' `source` label is the component (kubernetes/pkg/apis/core/v1/conversion.go).
  const v = fieldOf(obj, field === "source" ? "source.component" : field);
  if (v !== undefined) return v;
  return field === "spec.hostNetwork" || field === "spec.unschedulable" ? "false" : "";
}
