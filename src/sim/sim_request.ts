/**
 * @module Request parsing for the sim handler: bodies (JSON, or kubectl's protobuf), media types
 * and list options from the query, each failure thrown as the Status the apiserver would send.
 */
import { KubeStatusError } from "../kube/status.ts";
import { decodeKubeProtobuf } from "./sim_protobuf.ts";
import type { SimListOptions } from "./sim_query.ts";
import type { KubeObject } from "./sim_types.ts";

const PROTOBUF = "application/vnd.kubernetes.protobuf";
/** Body types of create and update; protobuf only for what kubectl sends that way. */
export const JSON_TYPES = ["application/json", PROTOBUF];

/** The apiserver's request body limit (3 MiB); larger bodies get 413. */
const MAX_BODY = 3 * 1024 * 1024;

/** Throws a KubeStatusError: the handler turns it into the Status response. */
export function fail(
  code: number,
  reason: ConstructorParameters<typeof KubeStatusError>[1],
  message: string,
): never {
  throw new KubeStatusError(code, reason, message);
}

export async function readJson(req: Request, allowEmpty = false): Promise<unknown> {
  const bytes = await req.bytes();
  if (bytes.length > MAX_BODY) fail(413, "RequestEntityTooLarge", "the request body is too large");
  if (mediaType(req) === PROTOBUF) return decodeKubeProtobuf(bytes);
  const text = new TextDecoder().decode(bytes);
  if (allowEmpty && text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    fail(
      400,
      "BadRequest",
      `the request body is not valid JSON: ${e instanceof Error ? e.message : e}`,
    );
  }
}

export function requireObject(body: unknown): KubeObject {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    fail(400, "BadRequest", "the request body must be a JSON object");
  }
  const obj = body as KubeObject;
  if (obj.metadata !== undefined && (obj.metadata === null || typeof obj.metadata !== "object")) {
    fail(400, "BadRequest", "metadata must be a JSON object");
  }
  obj.metadata = { ...(obj.metadata ?? {}) };
  return obj;
}

export function mediaType(req: Request): string {
  return (req.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
}

export function listOptions(url: URL, namespace: string): SimListOptions {
  const q = url.searchParams;
  const limit = Number(q.get("limit") ?? 0);
  if (!Number.isSafeInteger(limit) || limit < 0) {
    fail(400, "BadRequest", `invalid limit "${q.get("limit")}"`);
  }
  return {
    namespace,
    labelSelector: q.get("labelSelector") ?? "",
    fieldSelector: q.get("fieldSelector") ?? "",
    limit,
    continue: q.get("continue") ?? "",
    resourceVersion: q.get("resourceVersion") ?? "",
    resourceVersionMatch: q.get("resourceVersionMatch") ?? undefined,
  };
}

export function isTrue(v: string | null): boolean {
  return v === "true" || v === "1" || v === "True";
}
