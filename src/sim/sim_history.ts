/**
 * @module The store's change log: a bounded event history (what a watch or a continue token can
 * still reach) and the live watchers each write is pushed to.
 */
import type { SimEntry } from "./sim_entry.ts";

/** One change, as a watch sees it. */
export interface SimEvent {
  readonly type: "ADDED" | "MODIFIED" | "DELETED";
  /** Plural resource name. */
  readonly resource: string;
  readonly rv: number;
  /** The new state; for DELETED the last state stamped with the delete's resourceVersion. */
  readonly entry: SimEntry;
  /** The state before a MODIFIED or DELETED. */
  readonly prev?: SimEntry;
}

/** Bounded history plus watchers, keyed by resource. */
export class SimHistory {
  /** Events at or below this resourceVersion have been dropped. */
  compactedRv = 0;
  events: SimEvent[] = [];
  #limit: number;
  #watchers = new Map<string, Set<(e: SimEvent) => void>>();

  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }

  get watcherCount(): number {
    let n = 0;
    for (const s of this.#watchers.values()) n += s.size;
    return n;
  }

  /** Records `ev` and hands it to the resource's watchers, synchronously and in order. */
  push(ev: SimEvent): void {
    this.events.push(ev);
    // Trim in batches so a steady write load does not shift the array on every event.
    if (this.events.length >= this.#limit + Math.ceil(this.#limit / 4)) {
      const drop = this.events.length - this.#limit;
      this.compactedRv = this.events[drop - 1].rv;
      this.events.splice(0, drop);
    }
    for (const w of this.#watchers.get(ev.resource) ?? []) {
      try {
        w(ev);
      } catch {
        // A broken watcher must not fail the write that every other client sees succeed.
      }
    }
  }

  /** Adds a watcher; returns the kept events after `fromRv` and the function that removes it. */
  subscribe(resource: string, fromRv: number, listener: (e: SimEvent) => void) {
    let set = this.#watchers.get(resource);
    if (!set) this.#watchers.set(resource, set = new Set());
    set.add(listener);
    const backlog = this.events.filter((e) => e.rv > fromRv && e.resource === resource);
    return { backlog, stop: () => void set.delete(listener) };
  }

  /** Forgets everything up to `rv`. */
  compact(rv: number): void {
    this.events = [];
    this.compactedRv = rv;
  }
}
