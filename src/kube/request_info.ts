/**
 * @module Request classification: method + URL to the Kubernetes request info the proxy routes on.
 *
 * Follows k8s.io/apiserver/pkg/endpoints/request RequestInfoFactory: `/api/v1/...` (core group)
 * and `/apis/{group}/{version}/...`, optional `namespaces/{ns}`, resource, name, subresource;
 * a `watch` parameter other than `0`/`false` (`true`, `1`, `True`, ...) or a legacy `/watch/`
 * segment makes a list a watch. Everything else is a
 * non-resource request (`/healthz`, `/version`, `/openapi/v2`, discovery of `/api`, `/apis/g`).
 */

import { parseFieldSelector } from "./field_selector.ts";

/** Verbs as the apiserver's authorizer names them. */
export type Verb =
  | "get"
  | "list"
  | "watch"
  | "create"
  | "update"
  | "patch"
  | "delete"
  | "deletecollection"
  | "proxy"
  | "connect";

/** What a request is about. Pure data; derived only from method and URL. */
export interface RequestInfo {
  /** True for `/api/...` and `/apis/...` resource paths. */
  isResource: boolean;
  /** `api` or `apis`; empty for non-resource requests. */
  apiPrefix: "api" | "apis" | "";
  /** API group; `""` for the core group. */
  group: string;
  version: string;
  /** Plural resource name, e.g. `pods`. Empty for non-resource and discovery requests. */
  resource: string;
  subresource: string;
  /** Namespace from the path; empty for cluster-scoped and all-namespace requests. */
  namespace: string;
  name: string;
  verb: Verb | string;
  /** The request path, unchanged. */
  path: string;
}

const WRITE_VERBS: Record<string, Verb> = {
  POST: "create",
  PUT: "update",
  PATCH: "patch",
  DELETE: "delete",
};

/** Subresources that upgrade the connection or tunnel bytes: not plain request/response. */
const CONNECT_SUBRESOURCES = new Set(["exec", "attach", "portforward", "proxy"]);

function isWatchParam(v: string | null): boolean {
  // As the apiserver decodes ListOptions (runtime.Convert_Slice_string_To_bool): a present
  // value other than "0" and "false" (any case) is true, so `watch=yes` and `watch=` are
  // watches there and must be here too.
  return v !== null && v !== "0" && v.toLowerCase() !== "false";
}

/**
 * The name a list's field selector requires (`metadata.name=x` among its terms), as the
 * apiserver's `RequiresExactMatch("metadata.name")` plus `IsValidPathSegmentName`: a name that
 * could not be a path segment (`..`, `a/b`, `%`) or an unparsable selector names nothing.
 */
function nameFromFieldSelector(selector: string | null): string {
  if (!selector) return "";
  let reqs;
  try {
    reqs = parseFieldSelector(selector);
  } catch {
    return "";
  }
  const name = reqs.find((r) => r.field === "metadata.name" && r.op === "=")?.value ?? "";
  return name === "." || name === ".." || /[/%]/.test(name) ? "" : name;
}

/** Go's `URL.Path` is percent-decoded; names in it are the objects' real names. */
function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path; // a malformed escape: Go would have refused the URL; classify it as sent
  }
}

/**
 * Classifies a request.
 *
 * @example
 * ```ts
 * import { requestInfo } from "./request_info.ts";
 * const info = requestInfo("GET", new URL("http://x/api/v1/namespaces/a/pods?watch=1"));
 * info.verb; // "watch"
 * info.resource; // "pods"
 * ```
 */
export function requestInfo(method: string, url: URL): RequestInfo {
  const path = url.pathname;
  const info: RequestInfo = {
    isResource: false,
    apiPrefix: "",
    group: "",
    version: "",
    resource: "",
    subresource: "",
    namespace: "",
    name: "",
    verb: method.toLowerCase(),
    path,
  };
  // As the apiserver's splitPath: trim the outer slashes only. An empty inner segment stays,
  // so `/namespaces//pods` is not mistaken for `/namespaces/pods`.
  const trimmed = decodePath(path).replace(/^\/+|\/+$/g, "");
  const parts = trimmed === "" ? [] : trimmed.split("/");
  if (parts[0] !== "api" && parts[0] !== "apis") return info;
  // `/api`, `/api/v1`, `/apis`, `/apis/{group}`, `/apis/{group}/{version}`: discovery, a
  // non-resource request, so every resource field stays empty as documented.
  const skip = parts[0] === "api" ? 2 : 3;
  if (parts.length <= skip) return info;
  info.apiPrefix = parts[0];
  if (parts[0] === "apis") info.group = parts[1];
  info.version = parts[skip - 1];
  let rest = parts.slice(skip);
  info.isResource = true;

  const m = method.toUpperCase();
  let verb: string = m === "GET" || m === "HEAD" ? "get" : WRITE_VERBS[m] ?? m.toLowerCase();
  if (rest[0] === "watch" && (m === "GET" || m === "HEAD")) {
    verb = "watch";
    rest = rest.slice(1);
  } else if (rest[0] === "proxy") {
    verb = "proxy";
    rest = rest.slice(1);
  }

  // `namespaces/{ns}/{resource}/...`; but `namespaces/{ns}` alone and
  // `namespaces/{ns}/status|finalize` address the namespace object itself.
  if (rest[0] === "namespaces" && rest.length > 1) {
    info.namespace = rest[1];
    if (rest.length > 2 && rest[2] !== "status" && rest[2] !== "finalize") {
      rest = rest.slice(2);
    }
  }
  info.resource = rest[0] ?? "";
  info.name = rest[1] ?? "";
  // The legacy `/proxy/` verb takes no subresource: what follows the name is the proxied path.
  info.subresource = verb === "proxy" ? "" : rest[2] ?? "";

  if (info.name === "") {
    if (verb === "get") {
      verb = isWatchParam(url.searchParams.get("watch")) ? "watch" : "list";
      // As the apiserver does: `fieldSelector=metadata.name=x` names the object for authz.
      info.name = nameFromFieldSelector(url.searchParams.get("fieldSelector"));
    } else if (verb === "delete") verb = "deletecollection";
  }
  if (CONNECT_SUBRESOURCES.has(info.subresource) && verb !== "proxy") verb = "connect";
  info.verb = verb;
  return info;
}

/** `resource` or `resource.group`, the name filter and cache rules use. */
export function qualifiedResource(info: Pick<RequestInfo, "resource" | "group">): string {
  return info.group ? `${info.resource}.${info.group}` : info.resource;
}
