/**
 * @module Realistic objects for the demo, tests and benchmarks: deterministic in `i`, shaped like
 * what a real cluster returns (a pod is ~6 KB of JSON with managedFields, env, volumes, status).
 */
import type { KubeObject } from "./sim_types.ts";

/** Options shared by the fixture makers. */
export interface FixtureOptions {
  /** @default "default" */
  namespace?: string;
  /** Pods only: the node it is scheduled on. @default `node-${i % 10}` */
  nodeName?: string;
  /** Merged over the default `app` label. */
  labels?: Record<string, string>;
  /** @default `pod-${i}` / `cm-${i}` / `secret-${i}` */
  name?: string;
}

const T0 = "2026-01-01T00:00:00Z";

function pad(i: number): string {
  return String(i).padStart(5, "0");
}

function managedFields(manager: string, fields: Record<string, unknown>) {
  return [{
    manager,
    operation: "Update",
    apiVersion: "v1",
    time: T0,
    fieldsType: "FieldsV1",
    fieldsV1: fields,
  }];
}

function container(i: number, c: number) {
  return {
    name: c === 0 ? "app" : `sidecar-${c}`,
    image: c === 0
      ? `registry.example.com/team/app:v1.${i % 50}.${c}`
      : "registry.example.com/proxy:1.27.3",
    command: ["/bin/app"],
    args: ["--port=8080", `--replica=${i}`, "--log-level=info"],
    ports: [{ name: "http", containerPort: 8080 + c, protocol: "TCP" }],
    env: [
      {
        name: "POD_NAME",
        valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } },
      },
      {
        name: "POD_NAMESPACE",
        valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } },
      },
      {
        name: "NODE_NAME",
        valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "spec.nodeName" } },
      },
      {
        name: "CONFIG_CHECKSUM",
        value: `sha256-${(i * 2654435761 >>> 0).toString(16).padStart(8, "0")}`,
      },
      {
        name: "DB_PASSWORD",
        valueFrom: { secretKeyRef: { name: `secret-${i}`, key: "password" } },
      },
    ],
    resources: {
      limits: { cpu: "500m", memory: "256Mi" },
      requests: { cpu: "100m", memory: "128Mi" },
    },
    volumeMounts: [
      { name: "config", mountPath: "/etc/app", readOnly: true },
      {
        name: "kube-api-access",
        mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
        readOnly: true,
      },
    ],
    livenessProbe: {
      httpGet: { path: "/healthz", port: 8080 + c, scheme: "HTTP" },
      initialDelaySeconds: 10,
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    },
    terminationMessagePath: "/dev/termination-log",
    terminationMessagePolicy: "File",
    imagePullPolicy: "IfNotPresent",
  };
}

/** A running pod with two containers, scheduled on `opts.nodeName`. */
export function makePod(i: number, opts: FixtureOptions = {}): KubeObject {
  const name = opts.name ?? `pod-${i}`;
  const nodeName = opts.nodeName ?? `node-${i % 10}`;
  const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const condition = (type: string) => ({
    type,
    status: "True",
    lastProbeTime: null,
    lastTransitionTime: T0,
  });
  return {
    kind: "Pod",
    apiVersion: "v1",
    metadata: {
      name,
      namespace: opts.namespace ?? "default",
      labels: { app: `app-${i % 20}`, "pod-template-hash": `7d${pad(i)}f`, ...opts.labels },
      annotations: { "kubectl.kubernetes.io/restartedAt": T0, "prometheus.io/scrape": "true" },
      ownerReferences: [{
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        name: `app-${i % 20}-7d${pad(i)}f`,
        uid: `00000000-0000-4000-8000-${pad(i).padStart(12, "0")}`,
        controller: true,
        blockOwnerDeletion: true,
      }],
      managedFields: [
        ...managedFields("kube-controller-manager", {
          "f:metadata": { "f:labels": { ".": {}, "f:app": {} }, "f:ownerReferences": {} },
          "f:spec": {
            "f:containers": { 'k:{"name":"app"}': { ".": {}, "f:image": {}, "f:env": {} } },
          },
        }),
        ...managedFields("kubelet", {
          "f:status": {
            "f:conditions": {},
            "f:containerStatuses": {},
            "f:hostIP": {},
            "f:phase": {},
            "f:podIP": {},
          },
        }),
      ],
    },
    spec: {
      volumes: [
        { name: "config", configMap: { name: `cm-${i}`, defaultMode: 420 } },
        {
          name: "kube-api-access",
          projected: {
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
              {
                configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] },
              },
            ],
            defaultMode: 420,
          },
        },
      ],
      containers: [container(i, 0), container(i, 1)],
      restartPolicy: "Always",
      terminationGracePeriodSeconds: 30,
      dnsPolicy: "ClusterFirst",
      serviceAccountName: "default",
      serviceAccount: "default",
      nodeName,
      securityContext: {},
      schedulerName: "default-scheduler",
      tolerations: [
        {
          key: "node.kubernetes.io/not-ready",
          operator: "Exists",
          effect: "NoExecute",
          tolerationSeconds: 300,
        },
        {
          key: "node.kubernetes.io/unreachable",
          operator: "Exists",
          effect: "NoExecute",
          tolerationSeconds: 300,
        },
      ],
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: "PreemptLowerPriority",
    },
    status: {
      phase: "Running",
      conditions: [
        "PodReadyToStartContainers",
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
      ].map(condition),
      hostIP: `192.168.0.${i % 10}`,
      podIP: ip,
      podIPs: [{ ip }],
      startTime: T0,
      containerStatuses: [0, 1].map((c) => ({
        name: c === 0 ? "app" : `sidecar-${c}`,
        state: { running: { startedAt: T0 } },
        lastState: {},
        ready: true,
        restartCount: 0,
        image: container(i, c).image,
        imageID: `registry.example.com/team/app@sha256:${"0123456789abcdef".repeat(4)}`,
        containerID: `containerd://${pad(i)}${"ab".repeat(29)}${c}`,
        started: true,
      })),
      qosClass: "Burstable",
    },
  };
}

/** A configmap with a few data keys. */
export function makeConfigMap(i: number, opts: Omit<FixtureOptions, "nodeName"> = {}): KubeObject {
  return {
    kind: "ConfigMap",
    apiVersion: "v1",
    metadata: {
      name: opts.name ?? `cm-${i}`,
      namespace: opts.namespace ?? "default",
      labels: { app: `app-${i % 20}`, ...opts.labels },
    },
    data: {
      "app.properties": `replica=${i}\nlog.level=info\nfeature.flags=a,b,c\n`,
      "index": String(i),
    },
  };
}

/** An Opaque secret, as mounted by the pod of the same index. */
export function makeSecret(i: number, opts: Omit<FixtureOptions, "nodeName"> = {}): KubeObject {
  return {
    kind: "Secret",
    apiVersion: "v1",
    metadata: {
      name: opts.name ?? `secret-${i}`,
      namespace: opts.namespace ?? "default",
      labels: { app: `app-${i % 20}`, ...opts.labels },
    },
    type: "Opaque",
    data: { password: btoa(`password-${i}`) },
  };
}
