/**
 * @module Filter rules (`filters:` in config.yaml): validate them once, then answer per request
 * "which objects must this client not see" as a drop predicate over lazily read items.
 *
 * A rule compiles to a predicate today. Transform rules (YurtHub's masterservice and
 * servicetopology filters rewrite objects) would compile to a decision `keep | drop |
 * replace(bytes)` instead; the streams consult the predicate at exactly one point per item or
 * event, so that point becomes "apply the decision" and the byte scanning stays as it is.
 */

import { type LabelSelector, matchLabels, parseLabelSelector } from "../kube/label_selector.ts";
import { qualifiedResource, type RequestInfo } from "../kube/request_info.ts";

/** One rule as written in config.yaml. An object is dropped when every given matcher matches. */
export interface FilterRuleConfig {
  /** `configmaps` (core group) or group-qualified `endpointslices.discovery.k8s.io`. */
  resources: string[];
  /** Only objects in these namespaces; all namespaces when absent. */
  namespaces?: string[];
  /** Only clients whose User-Agent starts with one of these; all clients when absent. */
  userAgents?: string[];
  drop: {
    namePrefix?: string;
    /** Kubernetes label selector syntax, e.g. `app=web,tier!=db`. */
    labelSelector?: string;
    /** Dotted JSON path to required value, e.g. `spec.type: LoadBalancer`. */
    fields?: Record<string, string>;
  };
}

/** What a predicate may read of an object; extracted lazily from the bytes. */
export interface ItemView {
  readonly name: string;
  readonly namespace: string;
  readonly resourceVersion: string;
  readonly labels: Readonly<Record<string, string>>;
  /** A string as itself, numbers and booleans as their JSON text, else `undefined`. */
  field(path: string): string | undefined;
}

/** True when the object must not reach the client. */
export type DropPredicate = ((item: ItemView) => boolean) & {
  /** Dotted paths the predicate reads, so an extractor can target them. */
  readonly fieldPaths: readonly string[];
};

interface CompiledRule {
  namespaces: ReadonlySet<string> | null;
  userAgents: readonly string[] | null;
  namePrefix: string | undefined;
  selector: LabelSelector | undefined;
  fields: readonly (readonly [string, string])[];
}

/** Rules indexed by qualified resource. Build with {@linkcode compileRules}. */
export interface CompiledRules {
  readonly byResource: ReadonlyMap<string, readonly CompiledRule[]>;
}

const RULE_KEYS = new Set(["resources", "namespaces", "userAgents", "drop"]);
const DROP_KEYS = new Set(["namePrefix", "labelSelector", "fields"]);
const FIELD_PATH = /^[^.\s]+(\.[^.\s]+)*$/;

function invalid(path: string, why: string): RangeError {
  return new RangeError(`Invalid "${path}": ${why}`);
}

function stringList(v: unknown, path: string, required: boolean): string[] | null {
  if (v === undefined && !required) return null;
  if (!Array.isArray(v) || v.length === 0) throw invalid(path, "expected a non-empty list");
  v.forEach((s, i) => {
    if (typeof s !== "string" || s === "") throw invalid(`${path}[${i}]`, "expected a string");
  });
  return v;
}

function compileRule(raw: unknown, path: string): { resources: string[]; rule: CompiledRule } {
  if (typeof raw !== "object" || raw === null) throw invalid(path, "expected a mapping");
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r)) {
    if (!RULE_KEYS.has(k)) throw invalid(`${path}.${k}`, "unknown key");
  }
  const resources = stringList(r.resources, `${path}.resources`, true)!;
  const namespaces = stringList(r.namespaces, `${path}.namespaces`, false);
  const userAgents = stringList(r.userAgents, `${path}.userAgents`, false);
  const d = r.drop;
  if (typeof d !== "object" || d === null) throw invalid(`${path}.drop`, "expected a mapping");
  const drop = d as Record<string, unknown>;
  for (const k of Object.keys(drop)) {
    if (!DROP_KEYS.has(k)) throw invalid(`${path}.drop.${k}`, "unknown matcher");
  }
  if (Object.keys(drop).length === 0) {
    throw invalid(`${path}.drop`, "empty; give namePrefix, labelSelector or fields");
  }
  const rule: CompiledRule = {
    namespaces: namespaces && new Set(namespaces),
    userAgents,
    namePrefix: undefined,
    selector: undefined,
    fields: [],
  };
  if (drop.namePrefix !== undefined) {
    if (typeof drop.namePrefix !== "string" || drop.namePrefix === "") {
      throw invalid(`${path}.drop.namePrefix`, "expected a non-empty string");
    }
    rule.namePrefix = drop.namePrefix;
  }
  if (drop.labelSelector !== undefined) {
    const s = drop.labelSelector;
    if (typeof s !== "string" || s.trim() === "") {
      throw invalid(`${path}.drop.labelSelector`, "expected a non-empty selector");
    }
    try {
      rule.selector = parseLabelSelector(s);
    } catch (e) {
      throw invalid(`${path}.drop.labelSelector`, (e as Error).message);
    }
  }
  if (drop.fields !== undefined) {
    const f = drop.fields;
    if (typeof f !== "object" || f === null || Array.isArray(f) || Object.keys(f).length === 0) {
      throw invalid(`${path}.drop.fields`, "expected a non-empty mapping of path to value");
    }
    rule.fields = Object.entries(f).map(([p, v]) => {
      if (!FIELD_PATH.test(p)) throw invalid(`${path}.drop.fields.${p}`, "not a dotted path");
      // YAML reads `replicas: 3` as a number; compare its JSON text as the view presents it.
      if (!["string", "number", "boolean"].includes(typeof v)) {
        throw invalid(`${path}.drop.fields.${p}`, "expected a string, number or boolean");
      }
      return [p, String(v)] as const;
    });
  }
  return { resources, rule };
}

/**
 * Validates and indexes rules.
 *
 * @throws {RangeError} naming the key, e.g. `Invalid "filters[1].drop.labelSelector": ...`,
 * for a bad selector, an empty `drop`, an unknown matcher or key, or a wrongly typed value.
 */
export function compileRules(rules: readonly FilterRuleConfig[]): CompiledRules {
  const byResource = new Map<string, CompiledRule[]>();
  rules.forEach((raw, i) => {
    const { resources, rule } = compileRule(raw, `filters[${i}]`);
    for (const res of resources) {
      const list = byResource.get(res) ?? [];
      list.push(rule);
      byResource.set(res, list);
    }
  });
  return { byResource };
}

type Check = (item: ItemView) => boolean;

function ruleCheck(rule: CompiledRule, checkNamespace: boolean, paths: Set<string>): Check {
  const checks: Check[] = [];
  if (checkNamespace && rule.namespaces) {
    const set = rule.namespaces;
    paths.add("metadata.namespace");
    checks.push((v) => set.has(v.namespace));
  }
  if (rule.namePrefix !== undefined) {
    const p = rule.namePrefix;
    paths.add("metadata.name");
    checks.push((v) => v.name.startsWith(p));
  }
  if (rule.selector !== undefined) {
    const sel = rule.selector;
    paths.add("metadata.labels");
    checks.push((v) => matchLabels(sel, v.labels));
  }
  for (const [path, value] of rule.fields) {
    paths.add(path);
    checks.push((v) => v.field(path) === value);
  }
  return checks.length === 1 ? checks[0] : (v) => checks.every((c) => c(v));
}

/**
 * The predicate for one request, or `null` when no rule applies: then the handler passes the
 * response through untouched, protobuf included.
 *
 * A rule applies when the request's resource is listed, the User-Agent starts with one of
 * `userAgents` (if given) and the request's namespace is one of `namespaces` (if given). For
 * an all-namespace or cluster-scoped request, a rule with `namespaces` applies per object.
 */
export function dropPredicateFor(
  rules: CompiledRules,
  info: Pick<RequestInfo, "resource" | "group" | "namespace">,
  userAgent: string,
): DropPredicate | null {
  const candidates = rules.byResource.get(qualifiedResource(info));
  if (candidates === undefined) return null;
  const paths = new Set<string>();
  const checks: Check[] = [];
  for (const rule of candidates) {
    if (rule.userAgents && !rule.userAgents.some((ua) => userAgent.startsWith(ua))) continue;
    if (info.namespace !== "" && rule.namespaces && !rule.namespaces.has(info.namespace)) continue;
    checks.push(ruleCheck(rule, info.namespace === "", paths));
  }
  if (checks.length === 0) return null;
  const drop: Check = checks.length === 1 ? checks[0] : (v) => checks.some((c) => c(v));
  return Object.assign(drop, { fieldPaths: [...paths] });
}
