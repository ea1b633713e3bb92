/**
 * @module The object shape the simulated apiserver stores: any JSON object with Kubernetes metadata.
 */

/** Object metadata as the sim reads it; every other field passes through untouched. */
export interface KubeMetadata {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

/** A Kubernetes object as JSON: `kind`, `apiVersion`, `metadata`, then anything. */
export interface KubeObject {
  kind?: string;
  apiVersion?: string;
  metadata: KubeMetadata;
  [key: string]: unknown;
}
