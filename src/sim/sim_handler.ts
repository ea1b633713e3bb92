/**
 * @module The simulated apiserver's request handler: routes a Request by its Kubernetes request
 * info to discovery, list, watch, get and the writes, and answers every failure as a Status.
 */
import { requestInfo } from "../kube/request_info.ts";
import { kubeStatus, KubeStatusError, statusResponse } from "../kube/status.ts";
import { negotiateOutput, type SimOutput } from "./sim_accept.ts";
import { discoveryDocument, isHealthPath } from "./sim_discovery.ts";
import { entryObject } from "./sim_entry.ts";
import { SIM_PATCH_TYPES, type SimPatchType } from "./sim_patch.ts";
import {
  fail,
  isTrue,
  JSON_TYPES,
  listOptions,
  mediaType,
  readJson,
  requireObject,
} from "./sim_request.ts";
import { type SimResource, simResource } from "./sim_resources.ts";
import { jsonBody, listBody, objectBody, type SimBodyOptions } from "./sim_response.ts";
import type { KubeObject, SimStore } from "./sim_store.ts";
import { partialObject, toTable } from "./sim_table.ts";
import { watchStream } from "./sim_watch.ts";

/** Options of createSimHandler. */
export interface SimHandlerOptions {
  /** Interval of BOOKMARK events on watches that allow them. @default 1000 */
  bookmarkIntervalMs?: number;
  /** Response bodies larger than this are gzipped for clients that accept it. @default 131072 */
  gzipThreshold?: number;
  /** Ends every open watch; the server aborts it on close so shutdown does not wait on them. */
  signal?: AbortSignal;
}

function resolve(info: ReturnType<typeof requestInfo>): SimResource {
  const r = simResource(info.group ? `${info.resource}.${info.group}` : info.resource);
  const scopedWrong = !r.namespaced && info.namespace !== "" && r.resource !== "namespaces";
  if (r.group !== info.group || info.version !== r.version || scopedWrong) {
    fail(404, "NotFound", "the server could not find the requested resource");
  }
  if (info.subresource !== "" && info.subresource !== "status") {
    fail(404, "NotFound", "the server could not find the requested resource");
  }
  return r;
}

function singleObject(
  r: SimResource,
  obj: KubeObject,
  output: SimOutput,
  opts: SimBodyOptions,
): Response {
  if (output.form === "table") {
    return objectBody(
      toTable(r, [obj], { resourceVersion: obj.metadata.resourceVersion }, output.includeObject),
      opts,
    );
  }
  return objectBody(output.form === "partial" ? partialObject(obj) : obj, opts);
}

/**
 * A fetch-style handler serving `store` as a kube-apiserver would over JSON.
 *
 * @example
 * ```ts
 * import { SimStore } from "./sim_store.ts";
 * import { createSimHandler } from "./sim_handler.ts";
 * const handle = createSimHandler(new SimStore());
 * const res = await handle(new Request("http://sim/api/v1/namespaces"));
 * (await res.json()).kind; // "NamespaceList"
 * ```
 */
export function createSimHandler(
  store: SimStore,
  options: SimHandlerOptions = {},
): (req: Request) => Promise<Response> {
  async function route(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const info = requestInfo(req.method, url);
    const body: SimBodyOptions = {
      acceptEncoding: req.headers.get("accept-encoding"),
      gzipThreshold: options.gzipThreshold,
    };
    if (!info.isResource) {
      if (req.method !== "GET" && req.method !== "HEAD") {
        fail(
          405,
          "MethodNotAllowed",
          "the server does not allow this method on the requested resource",
        );
      }
      if (isHealthPath(url.pathname)) {
        return new Response("ok", { headers: { "content-type": "text/plain; charset=utf-8" } });
      }
      const doc = discoveryDocument(url.pathname, url.host);
      if (doc === undefined) {
        fail(404, "NotFound", "the server could not find the requested resource");
      }
      return objectBody(doc, body);
    }
    const r = resolve(info);
    const output = negotiateOutput(
      req.headers.get("accept"),
      url.searchParams.get("includeObject"),
    );
    if (!output) {
      fail(
        406,
        "NotAcceptable",
        "only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io",
      );
    }
    const dryRunValues = url.searchParams.getAll("dryRun");
    if (dryRunValues.some((v) => v !== "All")) {
      fail(400, "BadRequest", `unsupported dryRun value "${dryRunValues.join(",")}"`);
    }
    const dryRun = dryRunValues.length > 0;
    const ns = r.namespaced ? info.namespace : "";
    const named = info.verb === "get" || info.verb === "update" || info.verb === "patch" ||
      info.verb === "delete";
    if (named && info.name === "") {
      fail(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
      );
    }
    if (info.verb === "create" && (info.name !== "" || (r.namespaced && ns === ""))) {
      fail(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
      );
    }
    if (named && r.namespaced && ns === "") {
      fail(404, "NotFound", "the server could not find the requested resource");
    }
    switch (info.verb) {
      case "list":
        return listBody(r, store.listEntries(r.resource, listOptions(url, ns)), output, body);
      case "watch": {
        const q = url.searchParams;
        const timeout = Number(q.get("timeoutSeconds") ?? NaN);
        const stream = watchStream(store, r, {
          list: { ...listOptions(url, ns), limit: 0, continue: "" },
          output,
          bookmarks: isTrue(q.get("allowWatchBookmarks")),
          bookmarkIntervalMs: options.bookmarkIntervalMs,
          timeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout * 1000 : undefined,
          sendInitialEvents: q.has("sendInitialEvents")
            ? isTrue(q.get("sendInitialEvents"))
            : undefined,
          signal: options.signal,
        });
        return new Response(stream, {
          headers: { "content-type": "application/json", "cache-control": "no-cache, private" },
        });
      }
      case "get": {
        const e = store.getEntry(r.resource, ns, info.name);
        if (!e) store.get(r.resource, ns, info.name); // throws the NotFound Status
        if (output.form === "json") return jsonBody(e!.json.slice(), e!.json.length, body);
        return singleObject(r, entryObject(e!), output, body);
      }
      case "create": {
        if (!JSON_TYPES.includes(mediaType(req))) {
          fail(
            415,
            "UnsupportedMediaType",
            `the body of the request was in an unknown format - accepted media types include: application/json`,
          );
        }
        const obj = requireObject(await readJson(req));
        if (r.namespaced) {
          if (obj.metadata.namespace && obj.metadata.namespace !== ns) {
            fail(
              400,
              "BadRequest",
              "the namespace of the provided object does not match the namespace sent on the request",
            );
          }
          obj.metadata.namespace = ns || obj.metadata.namespace;
        }
        return objectBody(store.create(r.resource, obj, { dryRun }), { ...body, status: 201 });
      }
      case "update": {
        if (!JSON_TYPES.includes(mediaType(req))) {
          fail(
            415,
            "UnsupportedMediaType",
            `the body of the request was in an unknown format - accepted media types include: application/json`,
          );
        }
        const obj = requireObject(await readJson(req));
        if (obj.metadata.name !== undefined && obj.metadata.name !== info.name) {
          fail(
            400,
            "BadRequest",
            `the name of the object (${obj.metadata.name}) does not match the name on the URL (${info.name})`,
          );
        }
        if (r.namespaced && obj.metadata.namespace && obj.metadata.namespace !== ns) {
          fail(
            400,
            "BadRequest",
            "the namespace of the provided object does not match the namespace sent on the request",
          );
        }
        obj.metadata.name = info.name;
        if (r.namespaced) obj.metadata.namespace = ns;
        return objectBody(store.update(r.resource, obj, { dryRun }), body);
      }
      case "patch": {
        const type = mediaType(req);
        if (!SIM_PATCH_TYPES.includes(type as SimPatchType)) {
          fail(
            415,
            "UnsupportedMediaType",
            `the body of the request was in an unknown format - accepted media types include: ${
              SIM_PATCH_TYPES.join(", ")
            }`,
          );
        }
        const patch = await readJson(req);
        return objectBody(
          store.patch(r.resource, ns, info.name, type as SimPatchType, patch, { dryRun }),
          body,
        );
      }
      case "delete": {
        const opts = (await readJson(req, true) ?? {}) as Record<string, unknown>;
        const pre = (opts.preconditions ?? undefined) as
          | { uid?: string; resourceVersion?: string }
          | undefined;
        const bodyDryRun = Array.isArray(opts.dryRun) && opts.dryRun.includes("All");
        return objectBody(
          store.delete(r.resource, ns, info.name, {
            dryRun: dryRun || bodyDryRun,
            preconditions: pre,
          }),
          body,
        );
      }
      case "deletecollection": {
        const page = store.listEntries(r.resource, {
          ...listOptions(url, ns),
          limit: 0,
          continue: "",
        });
        const items = page.entries.map((e) =>
          store.delete(r.resource, e.namespace, e.name, { dryRun })
        );
        const metadata = { resourceVersion: String(store.resourceVersion) };
        return objectBody(
          { kind: `${r.kind}List`, apiVersion: r.apiVersion, metadata, items },
          body,
        );
      }
      default:
        fail(
          405,
          "MethodNotAllowed",
          "the server does not allow this method on the requested resource",
        );
    }
  }

  return async (req: Request): Promise<Response> => {
    try {
      return await route(req);
    } catch (e) {
      if (e instanceof KubeStatusError) return e.getResponse();
      return statusResponse(
        kubeStatus(
          500,
          "InternalError",
          `Internal error occurred: ${e instanceof Error ? e.message : e}`,
        ),
      );
    }
  };
}
