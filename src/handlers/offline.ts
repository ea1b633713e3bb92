/**
 * @module `serveOffline()`: answers from the cache while the apiserver cannot be reached —
 * lists and gets from a covering complete entry, watches held open, writes refused.
 */
import { ByteItemView } from "../filter/byte_item_view.ts";
import { negotiateJson } from "../kube/negotiate.ts";
import { kubeStatus, KubeStatusError, statusResponse } from "../kube/status.ts";
import { matchFields, parseFieldSelector } from "../kube/field_selector.ts";
import { matchLabels, parseLabelSelector } from "../kube/label_selector.ts";
import type { CachedCollection } from "./cache_tap.ts";
import { cachedListBody, tableForObjects } from "./cached_list_body.ts";
import { offlineWatchBody } from "./offline_watch.ts";
import type { ProxyDeps, ProxyRequest } from "./proxy_deps.ts";

function unavailable(message: string): KubeStatusError {
  return new KubeStatusError(503, "ServiceUnavailable", message);
}

/** The selectors and paging of a request, parsed; bad syntax is a 400 for the client. */
export function requestSelectors(url: URL) {
  try {
    return {
      labels: parseLabelSelector(url.searchParams.get("labelSelector") ?? ""),
      fields: parseFieldSelector(url.searchParams.get("fieldSelector") ?? ""),
    };
  } catch (e) {
    throw new KubeStatusError(400, "BadRequest", (e as Error).message);
  }
}

/**
 * True for a watch that resumes after a resourceVersion; `""` and `"0"` ask for every current
 * object first (as ADDED events), which an offline watch does not send.
 */
function resumesAt(url: URL): boolean {
  const rv = url.searchParams.get("resourceVersion") ?? "";
  return rv !== "" && rv !== "0";
}

/** The `Warning` every cached answer carries (kubectl prints it). */
function staleness(deps: ProxyDeps, c: CachedCollection): HeadersInit {
  const age = Math.max(0, Math.round((deps.now() - c.updatedAt) / 1000));
  return {
    "content-type": "application/json",
    warning: `299 - "served from the edge cache, ${age} s old"`,
  };
}

/**
 * Serves `p` from the cache.
 *
 * @throws {KubeStatusError} 503 when nothing cached covers the request or it is a write.
 */
export async function serveOffline(deps: ProxyDeps, p: ProxyRequest): Promise<Response> {
  const { info } = p;
  p.source = "cache";
  const read = info.verb === "get" || info.verb === "list" || info.verb === "watch";
  if (!info.isResource || !read || info.subresource !== "") {
    throw unavailable(
      info.isResource && !read
        ? `The cloud apiserver is unreachable; edge-proxy does not accept ${info.verb} requests offline`
        : `The cloud apiserver is unreachable and ${p.url.pathname} is not served from the edge cache`,
    );
  }
  if (info.verb === "watch" && !resumesAt(p.url)) {
    // From "" or "0" a watch starts with an ADDED event for every current object; a held-open
    // empty stream would tell the client that none exist.
    throw unavailable(
      "The cloud apiserver is unreachable; a watch without a resourceVersion is not served from the edge cache (list first, then watch from the list's resourceVersion)",
    );
  }
  const sel = requestSelectors(p.url);
  const c = deps.cache ? await deps.cache.lookup(p) : null;
  if (c === null && info.verb === "watch") {
    // A watch from a given resourceVersion is promised no objects, only the changes after it,
    // and offline the proxy sees none, with or without an entry: holding it open is honest.
    // A 503 instead would stop a client-node informer for good (its error path does not
    // retry), and client-node watches with another User-Agent ("undici") than it lists with,
    // so its watch never finds an entry of its own partition.
    return new Response(offlineWatchBody(deps, p, null), {
      status: 200,
      headers: {
        "content-type": "application/json",
        warning: `299 - "edge-proxy is offline: no events until the apiserver is reachable"`,
      },
    });
  }
  if (!deps.cache) throw unavailable("The cloud apiserver is unreachable and caching is disabled");
  if (c === null) {
    throw unavailable(
      `The cloud apiserver is unreachable and the edge cache holds no complete copy of ${info.resource} covering this request`,
    );
  }
  deps.metrics.inc("edge_proxy_cache_answers_total", "Requests answered from the edge cache", {
    resource: info.resource,
    verb: info.verb,
  });
  const headers = staleness(deps, c);
  const n = negotiateJson(p.req.headers.get("accept"));
  if (n.accept === null) {
    c.release();
    throw new KubeStatusError(406, "NotAcceptable", "The edge cache serves JSON only");
  }
  if (info.verb === "get") {
    let bytes: Uint8Array | null;
    try {
      bytes = await c.get(info.namespace, info.name);
    } finally {
      c.release();
    }
    if (bytes === null) {
      if (!c.exhaustive) {
        throw unavailable(`The edge cache cannot tell whether "${info.name}" exists`);
      }
      return statusResponse(
        kubeStatus(404, "NotFound", `${info.resource} "${info.name}" not found`, {
          name: info.name,
          kind: info.resource,
        }),
        headers,
      );
    }
    if (n.table) {
      const table = tableForObjects(
        [JSON.parse(new TextDecoder().decode(bytes))],
        c.resourceVersion,
        deps.now(),
      );
      return new Response(JSON.stringify(table), { status: 200, headers });
    }
    return new Response(bytes as Uint8Array<ArrayBuffer>, { status: 200, headers });
  }
  // A list with no selector (kubelet's, kube-proxy's) reads no object: parsing each one's
  // labels only to match an empty selector was ~6% of an offline list.
  const matches = info.namespace === "" && sel.labels.length === 0 && sel.fields.length === 0
    ? () => true
    : (bytes: Uint8Array) => {
      const v = new ByteItemView(bytes);
      if (info.namespace !== "" && v.namespace !== info.namespace) return false;
      return (sel.labels.length === 0 || matchLabels(sel.labels, v.labels)) &&
        matchFields(
          sel.fields,
          (f) =>
            f === "metadata.name" ? v.name : f === "metadata.namespace" ? v.namespace : v.field(f),
        );
    };
  if (info.verb === "watch") {
    c.release();
    const body = offlineWatchBody(deps, p, c);
    return new Response(body, { status: 200, headers });
  }
  const limit = Number(p.url.searchParams.get("limit") ?? "0");
  let body;
  try {
    // Validates the continue token first, so a stale one is a 410 before any byte is sent.
    body = cachedListBody(c, {
      matches,
      limit: Number.isInteger(limit) && limit > 0 ? limit : 0,
      continueToken: p.url.searchParams.get("continue") ?? "",
      shape: n.table ? "table" : n.partial ? "partial" : "list",
      now: deps.now(),
    });
  } catch (e) {
    c.release();
    throw e;
  }
  return new Response(body, { status: 200, headers });
}
