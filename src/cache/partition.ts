/**
 * @module Client partitions: whose cached data is whose.
 *
 * A partition is the client's component (User-Agent up to the first `/`, as YurtHub names its
 * cache folders) plus a fingerprint of the credential it presented, so two clients with the
 * same component but different credentials (different RBAC rights) never share an entry.
 */
import { base64Url } from "./cache_keys.ts";

/**
 * Fingerprint of the credential a client presented: 128 bits of SHA-256 of the
 * `Authorization` header value (`""` when absent), so the credential itself is never stored.
 *
 * @example
 * ```ts
 * import { fingerprint } from "./partition.ts";
 * (await fingerprint(null)).length; // 22
 * ```
 */
export async function fingerprint(authorization: string | null): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(authorization ?? ""),
  );
  return base64Url(new Uint8Array(digest, 0, 16));
}

/**
 * The partition of a client: `<component>:<fingerprint>`. The component is lower-cased and
 * limited to `[a-z0-9._-]` (64 characters), `unknown` when the User-Agent gives none.
 *
 * @example
 * ```ts
 * import { partitionOf } from "./partition.ts";
 * partitionOf("kubelet/v1.30.2 (linux/amd64) kubernetes/abc", "fp"); // "kubelet:fp"
 * ```
 */
export function partitionOf(userAgent: string, credentialFingerprint: string): string {
  const slash = userAgent.indexOf("/");
  const raw = (slash < 0 ? userAgent : userAgent.slice(0, slash)).trim().toLowerCase();
  const component = raw.replace(/[^a-z0-9._-]/g, "_").slice(0, 64) || "unknown";
  return `${component}:${credentialFingerprint}`;
}
