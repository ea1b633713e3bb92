/**
 * @module Realistic pods for the filter benchmark: ~6 KB of JSON each, shaped like what the
 * apiserver returns (metadata with labels, annotations and managedFields; spec; status).
 */

/** Options for {@linkcode makeBenchPod}. */
export interface BenchPodOptions {
  /** Name prefix; the drop rule in the benchmark targets `skip-`. @default {"pod-"} */
  prefix?: string;
  /** Namespace. @default {"default"} */
  namespace?: string;
}

/** Pod number `i` as a plain object. */
export function makeBenchPod(i: number, options: BenchPodOptions = {}): Record<string, unknown> {
  const name = `${options.prefix ?? "pod-"}${i}-web-7d9f8c6b5-${(i * 7919 % 100000).toString(36)}`;
  const ns = options.namespace ?? "default";
  const ts = new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60)).toISOString().replace(".000", "");
  const uid = `1b4e28ba-2fa1-11d2-883f-${i.toString(16).padStart(12, "0")}`;
  const fields = (n: number) =>
    Object.fromEntries(Array.from({ length: n }, (_, k) => [`f:field${k}`, {}]));
  return {
    kind: "Pod",
    apiVersion: "v1",
    metadata: {
      name,
      generateName: "web-7d9f8c6b5-",
      namespace: ns,
      uid,
      resourceVersion: String(100000 + i),
      creationTimestamp: ts,
      labels: { app: "web", "pod-template-hash": "7d9f8c6b5", tier: i % 3 ? "front" : "back" },
      annotations: {
        "kubectl.kubernetes.io/restartedAt": ts,
        "prometheus.io/scrape": "true",
        "note": `quote \"x\" and backslash \\ and unicode é ✓ ${i}`,
      },
      ownerReferences: [{
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        name: "web-7d9f8c6b5",
        uid: "5c1a2b3d-0000-4000-8000-000000000001",
        controller: true,
        blockOwnerDeletion: true,
      }],
      managedFields: [{
        manager: "kube-controller-manager",
        operation: "Update",
        apiVersion: "v1",
        time: ts,
        fieldsType: "FieldsV1",
        fieldsV1: { "f:metadata": fields(8), "f:spec": fields(30) },
      }, {
        manager: "kubelet",
        operation: "Update",
        apiVersion: "v1",
        time: ts,
        fieldsType: "FieldsV1",
        fieldsV1: { "f:status": fields(26) },
        subresource: "status",
      }],
    },
    spec: {
      volumes: [{
        name: "kube-api-access-abcde",
        projected: {
          sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: "token" } }, {
            configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] },
          }],
          defaultMode: 420,
        },
      }],
      containers: [0, 1].map((c) => ({
        name: `app-${c}`,
        image: `registry.example.com/team/web-${c}:1.${i % 10}.3`,
        args: ["--port=8080", "--log-level=info", `--shard=${i % 16}`],
        ports: [{ name: "http", containerPort: 8080 + c, protocol: "TCP" }],
        env: Array.from({ length: 10 }, (_, k) => ({ name: `ENV_${k}`, value: `value-${k}-${i}` })),
        resources: {
          limits: { cpu: "500m", memory: "256Mi" },
          requests: { cpu: "100m", memory: "64Mi" },
        },
        volumeMounts: [{
          name: "kube-api-access-abcde",
          readOnly: true,
          mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
        }],
        livenessProbe: {
          httpGet: { path: "/healthz", port: 8080, scheme: "HTTP" },
          periodSeconds: 10,
        },
        terminationMessagePath: "/dev/termination-log",
        terminationMessagePolicy: "File",
        imagePullPolicy: "IfNotPresent",
      })),
      restartPolicy: "Always",
      terminationGracePeriodSeconds: 30,
      dnsPolicy: "ClusterFirst",
      serviceAccountName: "default",
      nodeName: `edge-node-${i % 8}`,
      schedulerName: "default-scheduler",
      tolerations: [{
        key: "node.kubernetes.io/not-ready",
        operator: "Exists",
        effect: "NoExecute",
        tolerationSeconds: 300,
      }],
      priority: 0,
      enableServiceLinks: true,
    },
    status: {
      phase: "Running",
      conditions: ["Initialized", "Ready", "ContainersReady", "PodScheduled"].map((type) => ({
        type,
        status: "True",
        lastProbeTime: null,
        lastTransitionTime: ts,
      })),
      hostIP: `10.0.${i % 8}.1`,
      podIP: `10.244.${(i >> 8) & 255}.${i & 255}`,
      podIPs: [{ ip: `10.244.${(i >> 8) & 255}.${i & 255}` }],
      startTime: ts,
      containerStatuses: [0, 1].map((c) => ({
        name: `app-${c}`,
        state: { running: { startedAt: ts } },
        lastState: {},
        ready: true,
        restartCount: 0,
        image: `registry.example.com/team/web-${c}:1.${i % 10}.3`,
        imageID: `registry.example.com/team/web-${c}@sha256:${"ab12".repeat(16)}`,
        containerID: `containerd://${"9f".repeat(32)}`,
        started: true,
      })),
      qosClass: "Burstable",
    },
  };
}

/** A PodList of `count` pods, every odd one named `skip-...`, as JSON text. */
export function makeBenchPodList(count: number): string {
  const items: string[] = [];
  for (let i = 0; i < count; i++) {
    items.push(JSON.stringify(makeBenchPod(i, { prefix: i % 2 ? "skip-" : "pod-" })));
  }
  return `{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"200000"},"items":[${
    items.join(",")
  }]}`;
}
