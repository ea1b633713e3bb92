/**
 * @module `errorPageStatus()`: a 5xx page that did not come from the apiserver (the HTML or text
 * of a load balancer or ingress in between) turned into the `Status` a Kubernetes client parses.
 */
import { kubeStatus, type StatusReason, statusResponse } from "../kube/status.ts";

/** The apiserver's own bodies: anything else on a 5xx came from something in between. */
const APISERVER_TYPES = /^\s*application\/(json|yaml|vnd\.kubernetes\.protobuf)\s*(;|$)/i;
/** Enough of the page to say what it was; the rest is cancelled unread. */
const MAX_PAGE_BYTES = 4096;

async function readPrefix(body: ReadableStream<Uint8Array> | null): Promise<string> {
  if (body === null) return "";
  const reader = body.getReader();
  const dec = new TextDecoder();
  let text = "";
  let bytes = 0;
  try {
    while (bytes < MAX_PAGE_BYTES) {
      const { value, done } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      text += dec.decode(value, { stream: true });
    }
  } catch {
    // A page cut short says as much as it got to.
  } finally {
    reader.cancel().catch(() => {});
  }
  return text;
}

/**
 * For a 5xx answer whose body is not one the apiserver writes (JSON, YAML, protobuf), returns a
 * `Status` response with the same code and a short text of the page; otherwise null and the
 * body is untouched. client-go would otherwise report a page of HTML as the error message.
 */
export async function errorPageStatus(response: Response): Promise<Response | null> {
  const type = response.headers.get("content-type") ?? "";
  if (response.status < 500 || response.status > 599 || APISERVER_TYPES.test(type)) return null;
  const page = await readPrefix(response.body);
  const text = page.replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, " ").replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ").trim().slice(0, 200);
  const reason: StatusReason = response.status === 503
    ? "ServiceUnavailable"
    : response.status === 504
    ? "Timeout"
    : "InternalError";
  const headers = new Headers();
  const retry = response.headers.get("retry-after");
  if (retry !== null) headers.set("retry-after", retry);
  return statusResponse(
    kubeStatus(
      response.status,
      reason,
      `The upstream answered ${response.status} with a ${
        type.split(";")[0].trim() || "untyped"
      } page instead of a Status: "${text}"`,
    ),
    headers,
  );
}
