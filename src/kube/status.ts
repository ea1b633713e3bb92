/**
 * @module Kubernetes `Status` errors: every error a client sees is one of these, never plain text.
 */

/** Reasons used by the apiserver (k8s.io/apimachinery/pkg/apis/meta/v1 StatusReason). */
export type StatusReason =
  | "BadRequest"
  | "Unauthorized"
  | "Forbidden"
  | "NotFound"
  | "AlreadyExists"
  | "Conflict"
  | "Gone"
  | "Expired"
  | "Invalid"
  | "MethodNotAllowed"
  | "NotAcceptable"
  | "RequestEntityTooLarge"
  | "UnsupportedMediaType"
  | "TooManyRequests"
  | "InternalError"
  | "ServiceUnavailable"
  | "Timeout"
  | "NotImplemented";

/** The `Status` object the apiserver returns for every failure. */
export interface KubeStatus {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure";
  message: string;
  reason: StatusReason;
  code: number;
  details?: { name?: string; group?: string; kind?: string };
}

/** Builds a `Status` object. */
export function kubeStatus(
  code: number,
  reason: StatusReason,
  message: string,
  details?: KubeStatus["details"],
): KubeStatus {
  const s: KubeStatus = {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    code,
  };
  if (details) s.details = details;
  return s;
}

/** Serialises a `Status` as the JSON response a Kubernetes client parses. */
export function statusResponse(status: KubeStatus, headers?: HeadersInit): Response {
  const h = new Headers(headers);
  h.set("content-type", "application/json");
  return new Response(JSON.stringify(status), { status: status.code, headers: h });
}

/**
 * An error that reaches the client as a `Status`. The app's one `onError` turns it into
 * {@linkcode statusResponse}; anything else becomes a 500 InternalError.
 */
export class KubeStatusError extends Error {
  readonly status: KubeStatus;
  constructor(
    code: number,
    reason: StatusReason,
    message: string,
    options?: ErrorOptions & { details?: KubeStatus["details"] },
  ) {
    super(message, options);
    this.name = "KubeStatusError";
    this.status = kubeStatus(code, reason, message, options?.details);
  }
  /** The response for the client. */
  getResponse(headers?: HeadersInit): Response {
    return statusResponse(this.status, headers);
  }
}
