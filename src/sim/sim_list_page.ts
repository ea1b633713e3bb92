/**
 * @module One page of a list, consistent at one resourceVersion: the current state, or an older
 * one rebuilt by undoing the kept history, so a continue token sees the list as of its first page.
 */
import { KubeStatusError } from "../kube/status.ts";
import type { SimEntry } from "./sim_entry.ts";
import { decodeContinue, encodeContinue, type SimListOptions, simPredicate } from "./sim_query.ts";
import type { SimResource } from "./sim_resources.ts";
import type { SimEvent } from "./sim_history.ts";

/** A page of entries and the list metadata that goes with it. */
export interface SimListPage {
  resourceVersion: number;
  entries: SimEntry[];
  continue?: string;
  /** Set, as the apiserver does, only when more remain and no selector filters them. */
  remainingItemCount?: number;
}

/** What the store lends a list: its counters, current objects and history. */
export interface SimListState {
  rv: number;
  compactedRv: number;
  keys: readonly string[];
  current: ReadonlyMap<string, SimEntry>;
  history: readonly SimEvent[];
}

function expired(message: string): KubeStatusError {
  return new KubeStatusError(410, "Expired", message);
}

/** Which resourceVersion the list is served at, per the API concepts' resourceVersion table. */
function listRv(options: SimListOptions, state: SimListState): { rv: number; start: string } {
  if (options.continue) {
    if (options.resourceVersion) {
      throw new KubeStatusError(
        400,
        "BadRequest",
        "specifying resource version is not allowed when using continue",
      );
    }
    const token = decodeContinue(options.continue);
    if (token.rv < state.compactedRv) {
      throw expired(
        "The provided continue parameter is too old to display a consistent list result. " +
          "You can start a new list without the continue parameter.",
      );
    }
    return { rv: Math.min(token.rv, state.rv), start: token.start };
  }
  const given = options.resourceVersion ?? "";
  if (given === "" || given === "0") return { rv: state.rv, start: "" };
  const n = Number(given);
  if (!/^[0-9]+$/.test(given) || !Number.isSafeInteger(n)) {
    throw new KubeStatusError(400, "BadRequest", `invalid resource version "${given}"`);
  }
  if (n > state.rv) {
    throw new KubeStatusError(
      504,
      "Timeout",
      `Too large resource version: ${n}, current: ${state.rv}`,
    );
  }
  const exact = options.resourceVersionMatch === "Exact" ||
    (options.resourceVersionMatch === undefined && (options.limit ?? 0) > 0);
  if (!exact) return { rv: state.rv, start: "" };
  if (n < state.compactedRv) throw expired(`too old resource version: ${n} (${state.compactedRv})`);
  return { rv: n, start: "" };
}

function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Keys and a lookup for the state at `rv`: each key touched since reads as before its first change. */
function stateAt(r: SimResource, rv: number, state: SimListState) {
  if (rv >= state.rv) return { keys: state.keys, get: (k: string) => state.current.get(k) };
  const overlay = new Map<string, SimEntry | undefined>();
  const h = state.history;
  for (let i = h.length - 1; i >= 0 && h[i].rv > rv; i--) {
    if (h[i].resource === r.resource) {
      overlay.set(h[i].entry.key, h[i].type === "ADDED" ? undefined : h[i].prev);
    }
  }
  if (overlay.size === 0) return { keys: state.keys, get: (k: string) => state.current.get(k) };
  const keys = [...new Set([...state.keys, ...overlay.keys()])].sort();
  return { keys, get: (k: string) => (overlay.has(k) ? overlay.get(k) : state.current.get(k)) };
}

/**
 * Serves one page.
 *
 * @throws {KubeStatusError} 400, 410 Expired or 504 as described on SimStore.listEntries.
 */
export function listPage(
  r: SimResource,
  options: SimListOptions,
  state: SimListState,
): SimListPage {
  const pred = simPredicate(r, options);
  const { rv, start } = listRv(options, state);
  const { keys, get } = stateAt(r, rv, state);
  const prefix = pred.namespace ? `${pred.namespace}/` : "";
  let i = lowerBound(keys, start > prefix ? start : prefix);
  const limit = options.limit && options.limit > 0 ? options.limit : Infinity;
  const entries: SimEntry[] = [];
  for (; i < keys.length && keys[i].startsWith(prefix); i++) {
    const e = get(keys[i]);
    if (!e || !pred.matches(e)) continue;
    if (entries.length === limit) break;
    entries.push(e);
  }
  const page: SimListPage = { resourceVersion: rv, entries };
  if (i < keys.length && keys[i].startsWith(prefix) && entries.length === limit) {
    page.continue = encodeContinue(rv, entries[entries.length - 1].key);
    if (pred.empty) {
      const end = prefix ? lowerBound(keys, prefix.slice(0, -1) + "0") : keys.length;
      let remaining = 0;
      for (let j = i; j < end; j++) if (get(keys[j])) remaining++;
      page.remainingItemCount = remaining;
    }
  }
  return page;
}
