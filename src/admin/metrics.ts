/**
 * @module Metrics: counters, gauges and histograms with labels, printed in Prometheus text format.
 *
 * Hand-rolled because it is ~100 lines and the proxy must stay small; label values are only
 * ever verbs, resources, codes, server URLs and states (never identities or credentials).
 */

type Labels = Readonly<Record<string, string>>;

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return "";
  return "{" +
    keys.map((k) => `${k}="${labels[k].replace(/[\\"\n]/g, (c) => c === "\n" ? "\\n" : `\\${c}`)}"`)
      .join(",") +
    "}";
}

/** The text format spells the non-finite values `+Inf`, `-Inf` and `NaN`, not JS's `Infinity`. */
function formatValue(v: number): string {
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

interface Series {
  help: string;
  type: "counter" | "gauge" | "histogram";
  values: Map<string, number>;
  buckets?: readonly number[];
}

/** A registry of named metric families. */
export class Metrics {
  #families = new Map<string, Series>();
  #collectors: (() => void)[] = [];

  /** Runs `fn` before each render, to copy counters kept elsewhere (the cache's). */
  onRender(fn: () => void): void {
    this.#collectors.push(fn);
  }

  #family(name: string, type: Series["type"], help: string, buckets?: readonly number[]): Series {
    let f = this.#families.get(name);
    if (!f) {
      f = { help, type, values: new Map(), buckets };
      this.#families.set(name, f);
    }
    return f;
  }

  /** Adds `by` (default 1) to a counter. */
  inc(name: string, help: string, labels: Labels = {}, by = 1): void {
    const f = this.#family(name, "counter", help);
    const k = labelKey(labels);
    f.values.set(k, (f.values.get(k) ?? 0) + by);
  }

  /** Sets a gauge. */
  set(name: string, help: string, labels: Labels, value: number): void {
    this.#family(name, "gauge", help).values.set(labelKey(labels), value);
  }

  /** Adds `by` to a gauge (may be negative). */
  add(name: string, help: string, labels: Labels, by: number): void {
    const f = this.#family(name, "gauge", help);
    const k = labelKey(labels);
    f.values.set(k, (f.values.get(k) ?? 0) + by);
  }

  /** Records one observation (seconds) in a histogram. */
  observe(
    name: string,
    help: string,
    labels: Labels,
    value: number,
    buckets: readonly number[] = [0.001, 0.005, 0.025, 0.1, 0.5, 1, 2.5, 10],
  ): void {
    const f = this.#family(name, "histogram", help, buckets);
    const base = labelKey(labels);
    const inner = base ? base.slice(1, -1) + "," : "";
    if (!f.values.has(`_count${base}`)) {
      // First observation of this label set: create every bucket at 0, in `le` order, so the
      // exposition lists all of them ascending (the format requires it) whichever is hit first.
      for (const b of f.buckets!) f.values.set(`_bucket{${inner}le="${b}"}`, 0);
      f.values.set(`_bucket{${inner}le="+Inf"}`, 0);
      f.values.set(`_sum${base}`, 0);
      f.values.set(`_count${base}`, 0);
    }
    for (const b of f.buckets!) {
      if (value <= b) {
        const k = `_bucket{${inner}le="${b}"}`;
        f.values.set(k, (f.values.get(k) ?? 0) + 1);
      }
    }
    const inf = `_bucket{${inner}le="+Inf"}`;
    f.values.set(inf, (f.values.get(inf) ?? 0) + 1);
    f.values.set(`_sum${base}`, (f.values.get(`_sum${base}`) ?? 0) + value);
    f.values.set(`_count${base}`, (f.values.get(`_count${base}`) ?? 0) + 1);
  }

  /** Current value of one series, for tests and health decisions. */
  get(name: string, labels: Labels = {}): number {
    return this.#families.get(name)?.values.get(labelKey(labels)) ?? 0;
  }

  /** Prometheus text exposition format 0.0.4. */
  render(): string {
    for (const fn of this.#collectors) fn();
    let out = "";
    for (const [name, f] of this.#families) {
      out += `# HELP ${name} ${f.help}\n# TYPE ${name} ${f.type}\n`;
      for (const [k, v] of f.values) {
        out += `${name}${k} ${formatValue(v)}\n`;
      }
    }
    return out;
  }
}
