/**
 * @module Kubernetes field selectors: `field=value`, `field==value`, `field!=value`, comma = AND.
 */

/** One requirement of a field selector. */
export interface FieldRequirement {
  field: string;
  op: "=" | "!=";
  value: string;
}

/** A parsed field selector; empty matches everything. */
export type FieldSelector = readonly FieldRequirement[];

/** Field selector values escape `,`, `=` and `\` with a backslash (fields.EscapeValue). */
function unescapeValue(v: string, s: string): string {
  let out = "";
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c === "\\") {
      const n = v[i + 1];
      if (n !== "\\" && n !== "," && n !== "=") {
        throw new RangeError(`Cannot parse field selector "${s}": invalid escape in "${v}"`);
      }
      out += n;
      i++;
    } else if (c === "=" || c === ",") {
      throw new RangeError(`Cannot parse field selector "${s}": unescaped "${c}" in "${v}"`);
    } else out += c;
  }
  return out;
}

/** Splits on commas not preceded by an escaping backslash. */
function splitUnescaped(s: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "\\") i++;
    else if (s[i] === ",") {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

/**
 * Parses a field selector string.
 *
 * @throws {RangeError} when a term has no operator or a bad escape; the message quotes it.
 */
export function parseFieldSelector(s: string): FieldSelector {
  const trimmed = s.trim();
  if (trimmed === "") return [];
  const reqs: FieldRequirement[] = [];
  for (const part of splitUnescaped(trimmed)) {
    // The apiserver skips empty terms (fields.parseSelector): `a=b,` is valid there.
    if (part.trim() === "") continue;
    // No `\s*` between the field and the operator (the field is trimmed below): with a lazy
    // field, it made a term of spaces quadratic, and a 60 KB `fieldSelector` (parsed while
    // classifying every list) cost the proxy seconds of CPU.
    const m = /^([^=!]+)(==|=|!=)(.*)$/s.exec(part.trim());
    if (!m || m[1].trim() === "") {
      throw new RangeError(`Cannot parse field selector "${s}": invalid term "${part}"`);
    }
    reqs.push({
      field: m[1].trim(),
      op: m[2] === "!=" ? "!=" : "=",
      value: unescapeValue(m[3], s),
    });
  }
  return reqs;
}

/**
 * True when every requirement holds. `get` returns a field's value as the apiserver
 * would compare it (a string), or undefined when the object has no such field; a missing
 * field compares as the empty string, as in the apiserver's field sets.
 */
export function matchFields(
  sel: FieldSelector,
  get: (field: string) => string | undefined,
): boolean {
  for (const r of sel) {
    const v = get(r.field) ?? "";
    if (r.op === "=" ? v !== r.value : v === r.value) return false;
  }
  return true;
}

/** Canonical text of a field selector, requirements sorted. */
export function formatFieldSelector(sel: FieldSelector): string {
  return sel.map((r) => `${r.field}${r.op}${r.value.replace(/([\\,=])/g, "\\$1")}`).sort().join(
    ",",
  );
}

/** Reads a dotted path (`spec.nodeName`) from a decoded object, as a string. */
export function fieldOf(obj: unknown, path: string): string | undefined {
  let cur: unknown = obj;
  for (const seg of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  if (cur === undefined || cur === null) return undefined;
  return typeof cur === "string"
    ? cur
    : typeof cur === "object"
    ? JSON.stringify(cur)
    : String(cur);
}
