/**
 * @module A kubelet-like HTTP client for the end-to-end tests: its User-Agent, its Accept header
 * (protobuf first, JSON accepted) and a bearer token, so requests land in one cache partition.
 */

/** Options for {@linkcode kubeGet}. */
export interface KubeRequest {
  method?: string;
  body?: unknown;
  userAgent?: string;
  token?: string;
  accept?: string;
  signal?: AbortSignal;
}

/** Sends one request as kubelet would; the caller reads or cancels the body. */
export function kubeFetch(base: string, path: string, r: KubeRequest = {}): Promise<Response> {
  const headers: Record<string, string> = {
    "user-agent": r.userAgent ?? "kubelet/v1.32.0 (linux/arm64) kubernetes/abc",
    accept: r.accept ?? "application/vnd.kubernetes.protobuf,application/json",
    authorization: `Bearer ${r.token ?? "node-token"}`,
  };
  if (r.body !== undefined) headers["content-type"] = "application/json";
  return fetch(`${base}${path}`, {
    method: r.method ?? "GET",
    headers,
    body: r.body === undefined ? undefined : JSON.stringify(r.body),
    signal: r.signal,
  });
}

/** GET and parse JSON; returns status, headers and body. */
export async function kubeJson(
  base: string,
  path: string,
  r: KubeRequest = {},
): Promise<
  {
    status: number;
    headers: Headers;
    body: Record<string, unknown> & { items?: { metadata: { name: string } }[] };
  }
> {
  const res = await kubeFetch(base, path, r);
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`Not JSON (${res.status}): ${text.slice(0, 200)}`);
  }
  return { status: res.status, headers: res.headers, body };
}

/** Names of a list's items, sorted. */
export function names(body: { items?: { metadata: { name: string } }[] }): string[] {
  return (body.items ?? []).map((i) => i.metadata.name).sort();
}
