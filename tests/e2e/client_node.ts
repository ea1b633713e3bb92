/**
 * @module The `@kubernetes/client-node` configuration the informer tests share: the proxy as the
 * server, a fixed token, so every informer lands in one cache partition.
 */
import * as k8s from "@kubernetes/client-node";

/** A KubeConfig for `server` with the informers' token. */
export function kubeConfig(server: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "edge", server, skipTLSVerify: true }],
    users: [{ name: "edge", token: "informer-token" }],
    contexts: [{ name: "edge", cluster: "edge", user: "edge", namespace: "default" }],
    currentContext: "edge",
  });
  return kc;
}
