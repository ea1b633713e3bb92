/**
 * @module Kubernetes label selectors: parse the query syntax, match labels, print canonically.
 *
 * Grammar (k8s.io/apimachinery/pkg/labels): requirements joined by `,` (AND); each one is
 * `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a)`, `k` (exists) or `!k` (does not exist).
 */

/** One requirement of a label selector. */
export interface LabelRequirement {
  key: string;
  op: "=" | "!=" | "in" | "notin" | "exists" | "!exists";
  values: string[];
}

/** A parsed label selector: all requirements must hold. Empty matches everything. */
export type LabelSelector = readonly LabelRequirement[];

const KEY =
  /^([a-z0-9A-Z]([-a-z0-9A-Z.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;
const VALUE = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?)?$/;
/** Bounds that keep a hostile selector from costing more than a real one could. */
const MAX_SELECTOR_LENGTH = 64 * 1024;

function checkKey(key: string, s: string): string {
  if (key.length > 316 || !KEY.test(key)) {
    throw new RangeError(`Cannot parse label selector "${s}": invalid key "${key}"`);
  }
  return key;
}

function checkValue(value: string, s: string): string {
  if (value.length > 63 || !VALUE.test(value)) {
    throw new RangeError(`Cannot parse label selector "${s}": invalid value "${value}"`);
  }
  return value;
}

/** Splits on commas that are not inside parentheses. */
function splitTop(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

/**
 * Parses a label selector string.
 *
 * @throws {RangeError} when the selector is not valid Kubernetes syntax; the message quotes it.
 * @example
 * ```ts
 * import { matchLabels, parseLabelSelector } from "./label_selector.ts";
 * const sel = parseLabelSelector("app=web,tier in (a,b)");
 * matchLabels(sel, { app: "web", tier: "a" }); // true
 * ```
 */
export function parseLabelSelector(s: string): LabelSelector {
  if (s.length > MAX_SELECTOR_LENGTH) {
    throw new RangeError(`Cannot parse label selector: longer than ${MAX_SELECTOR_LENGTH} bytes`);
  }
  const trimmed = s.trim();
  if (trimmed === "") return [];
  const reqs: LabelRequirement[] = [];
  for (const raw of splitTop(trimmed)) {
    const part = raw.trim();
    if (part === "") throw new RangeError(`Cannot parse label selector "${s}": empty requirement`);
    const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part);
    if (set) {
      // `k in ()` is the set holding the empty value, as in the apiserver's parser (parseValues).
      const values = set[3].split(",").map((v) => checkValue(v.trim(), s));
      reqs.push({ key: checkKey(set[1], s), op: set[2] as "in" | "notin", values });
      continue;
    }
    const cmp = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    if (cmp) {
      reqs.push({
        key: checkKey(cmp[1], s),
        op: cmp[2] === "!=" ? "!=" : "=",
        values: [checkValue(cmp[3], s)],
      });
      continue;
    }
    if (part.startsWith("!")) {
      reqs.push({ key: checkKey(part.slice(1).trim(), s), op: "!exists", values: [] });
      continue;
    }
    reqs.push({ key: checkKey(part, s), op: "exists", values: [] });
  }
  return reqs;
}

/** True when `labels` satisfy every requirement of `sel`. */
export function matchLabels(
  sel: LabelSelector,
  labels: Readonly<Record<string, string>> | undefined | null,
): boolean {
  for (const r of sel) {
    const has = labels != null && Object.hasOwn(labels, r.key);
    const v = has ? labels![r.key] : undefined;
    switch (r.op) {
      case "=":
        if (v !== r.values[0]) return false;
        break;
      case "!=":
        if (v === r.values[0]) return false;
        break;
      case "in":
        if (v === undefined || !r.values.includes(v)) return false;
        break;
      case "notin":
        if (v !== undefined && r.values.includes(v)) return false;
        break;
      case "exists":
        if (!has) return false;
        break;
      case "!exists":
        if (has) return false;
        break;
    }
  }
  return true;
}

/** One requirement in canonical text form. */
export function formatLabelRequirement(r: LabelRequirement): string {
  switch (r.op) {
    case "=":
    case "!=":
      return `${r.key}${r.op}${r.values[0]}`;
    case "in":
    case "notin":
      // A set: `(a,a,b)` and `(b,a)` are the same requirement and must print the same.
      return `${r.key} ${r.op} (${[...new Set(r.values)].sort().join(",")})`;
    case "exists":
      return r.key;
    case "!exists":
      return `!${r.key}`;
  }
}

/** Canonical text of a selector: requirements sorted, so equal selectors print equally. */
export function formatLabelSelector(sel: LabelSelector): string {
  return sel.map(formatLabelRequirement).sort().join(",");
}
