/**
 * @module Discovery and non-resource endpoints: `/api`, `/apis`, `/api/v1`, `/apis/{g}/{v}`,
 * `/version` and the health probes. Aggregated discovery is answered in the legacy form;
 * client-go sees a plain `application/json` content type and falls back to it.
 */
import { SIM_RESOURCES, type SimResource } from "./sim_resources.ts";

const VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

function resourceList(groupVersion: string, resources: readonly SimResource[]) {
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion,
    resources: resources.map((r) => {
      const entry: Record<string, unknown> = {
        name: r.resource,
        singularName: r.singular,
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: VERBS,
      };
      if (r.shortNames.length) entry.shortNames = r.shortNames;
      return entry;
    }),
  };
}

function groups(): Map<string, SimResource[]> {
  const m = new Map<string, SimResource[]>();
  for (const r of SIM_RESOURCES) {
    if (!r.group) continue;
    const key = `${r.group}/${r.version}`;
    m.set(key, [...(m.get(key) ?? []), r]);
  }
  return m;
}

/** The JSON for a non-resource path, or undefined when the sim has none (answer 404). */
export function discoveryDocument(path: string, serverAddress: string): unknown {
  const p = path.replace(/\/+$/, "") || "/";
  const versionInfo = { version: "v1", groupVersion: "" };
  switch (p) {
    case "/api":
      return {
        kind: "APIVersions",
        versions: ["v1"],
        serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
      };
    case "/api/v1":
      return resourceList("v1", SIM_RESOURCES.filter((r) => r.group === ""));
    case "/apis":
      return {
        kind: "APIGroupList",
        apiVersion: "v1",
        groups: [...groups().keys()].map((gv) => {
          const [name, version] = gv.split("/");
          const v = { ...versionInfo, groupVersion: gv, version };
          return { name, versions: [v], preferredVersion: v };
        }),
      };
    case "/version":
      return {
        major: "1",
        minor: "32",
        gitVersion: "v1.32.0-sim",
        gitCommit: "0000000000000000000000000000000000000000",
        gitTreeState: "clean",
        buildDate: "2026-01-01T00:00:00Z",
        goVersion: "go1.23.0",
        compiler: "gc",
        platform: "linux/amd64",
      };
  }
  const g = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(p);
  if (g) {
    const all = groups();
    if (g[2]) {
      const rs = all.get(`${g[1]}/${g[2]}`);
      return rs ? resourceList(`${g[1]}/${g[2]}`, rs) : undefined;
    }
    const gv = [...all.keys()].find((k) => k.startsWith(`${g[1]}/`));
    if (!gv) return undefined;
    const v = { groupVersion: gv, version: gv.split("/")[1] };
    return { kind: "APIGroup", apiVersion: "v1", name: g[1], versions: [v], preferredVersion: v };
  }
  return undefined;
}

/** True for the probe paths; they answer `ok` as plain text, like the apiserver. */
export function isHealthPath(path: string): boolean {
  return /^\/(healthz|readyz|livez)(\/.*)?$/.test(path);
}
