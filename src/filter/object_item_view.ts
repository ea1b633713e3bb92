/**
 * @module The `ItemView` of an already parsed object: for Table rows (re-serialised anyway) and
 * for the naive reference filter the tests and the benchmark compare against.
 */

import type { ItemView } from "./rules.ts";

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v)
    ? v as Record<string, unknown>
    : undefined;
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

/** An `ItemView` over a parsed JSON object, with the same semantics as `ByteItemView`. */
export class ObjectItemView implements ItemView {
  readonly #obj: Record<string, unknown>;
  readonly #meta: Record<string, unknown>;

  constructor(obj: unknown) {
    this.#obj = record(obj) ?? {};
    this.#meta = record(this.#obj.metadata) ?? {};
  }

  get name(): string {
    return str(this.#meta.name);
  }

  get namespace(): string {
    return str(this.#meta.namespace);
  }

  get resourceVersion(): string {
    return str(this.#meta.resourceVersion);
  }

  get labels(): Readonly<Record<string, string>> {
    return (record(this.#meta.labels) ?? {}) as Record<string, string>;
  }

  /** A string as itself, a number or boolean as its JSON text, else `undefined`. */
  field(path: string): string | undefined {
    let v: unknown = this.#obj;
    for (const seg of path.split(".")) {
      const r = record(v);
      if (r === undefined || !Object.hasOwn(r, seg)) return undefined;
      v = r[seg];
    }
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "boolean") return JSON.stringify(v);
    return undefined;
  }
}
