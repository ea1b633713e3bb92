/**
 * @module SimStore: the simulated apiserver's etcd. One global resourceVersion counter, objects
 * kept as pre-serialised entries, a bounded event history for watches and consistent pages.
 */
import { KubeStatusError } from "../kube/status.ts";
import { applyPatch, type SimPatchType } from "./sim_patch.ts";
import { type SimResource, simResource } from "./sim_resources.ts";
import {
  canonicalObject,
  conflict,
  entryKey,
  entryObject,
  errorDetails,
  makeEntry,
  notFound,
  restamp,
  type SimEntry,
  validateName,
} from "./sim_entry.ts";
import type { KubeObject } from "./sim_types.ts";
import type { SimListOptions } from "./sim_query.ts";
import { listPage, type SimListPage } from "./sim_list_page.ts";
import { type SimEvent, SimHistory } from "./sim_history.ts";

export type { KubeObject } from "./sim_types.ts";
export type { SimEntry } from "./sim_entry.ts";
export type { SimListOptions } from "./sim_query.ts";
export type { SimListPage } from "./sim_list_page.ts";
export type { SimEvent } from "./sim_history.ts";

/** Options of SimStore. */
export interface SimStoreOptions {
  /** Watch events kept; a watch or continue from an older resourceVersion gets 410. @default 10000 */
  historyLimit?: number;
  /** Namespaces created up front, like a fresh cluster. @default ["default","kube-system","kube-public","kube-node-lease"] */
  namespaces?: string[];
}

/** Options of a write. */
export interface SimWriteOptions {
  /** Validate and answer as if written, but store nothing (`?dryRun=All`). */
  dryRun?: boolean;
}

/** Options of a delete: dryRun plus DeleteOptions.preconditions. */
export interface SimDeleteOptions extends SimWriteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** A registered watch: its catch-up events and how to end it. */
export interface SimWatchHandle {
  /** Events after the requested resourceVersion that happened before the watch started. */
  backlog: SimEvent[];
  stop(): void;
}

const GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

function nowTimestamp(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, "Z");
}

/** In-memory object store with Kubernetes resourceVersion semantics. */
export class SimStore {
  #rv = 0;
  #history: SimHistory;
  #objects = new Map<string, Map<string, SimEntry>>();
  #sortedKeys = new Map<string, string[]>();

  constructor(options: SimStoreOptions = {}) {
    this.#history = new SimHistory(options.historyLimit ?? 10000);
    const namespaces = options.namespaces ??
      ["default", "kube-system", "kube-public", "kube-node-lease"];
    for (const name of namespaces) this.create("namespaces", { metadata: { name } });
  }

  /** The global counter: the resourceVersion of the latest write. */
  get resourceVersion(): number {
    return this.#rv;
  }

  /** The oldest resourceVersion a watch or paginated list may start from. */
  get oldestResourceVersion(): number {
    return this.#history.compactedRv;
  }

  /** Open watches, all resources; tests use it to check a disconnect released one. */
  get watcherCount(): number {
    return this.#history.watcherCount;
  }

  #map(r: SimResource): Map<string, SimEntry> {
    let m = this.#objects.get(r.resource);
    if (!m) this.#objects.set(r.resource, m = new Map());
    return m;
  }

  /** Keys of a resource in etcd order, cached until an object is added or removed. */
  sortedKeys(resource: string): string[] {
    const r = simResource(resource);
    let keys = this.#sortedKeys.get(r.resource);
    if (!keys) {
      keys = [...this.#map(r).keys()].sort();
      this.#sortedKeys.set(r.resource, keys);
    }
    return keys;
  }

  #emit(ev: SimEvent): void {
    this.#history.push(ev);
  }

  #namespaceOf(r: SimResource, obj: KubeObject): string {
    return r.namespaced ? obj.metadata.namespace || "default" : "";
  }

  #put(r: SimResource, obj: KubeObject, type: SimEvent["type"], prev?: SimEntry): KubeObject {
    const rv = ++this.#rv;
    obj = canonicalObject(r, {
      ...obj,
      metadata: { ...obj.metadata, resourceVersion: String(rv) },
    });
    const entry = makeEntry(r, obj);
    const map = this.#map(r);
    if (!map.has(entry.key)) this.#sortedKeys.delete(r.resource);
    map.set(entry.key, entry);
    this.#emit({ type, resource: r.resource, rv, entry, prev });
    return obj;
  }

  /**
   * Creates an object; sets uid, resourceVersion and creationTimestamp. A namespaced object
   * without a namespace goes to `default`; `generateName` is honoured.
   *
   * @throws {KubeStatusError} 409 AlreadyExists, 422 Invalid for a bad or missing name.
   */
  create(resource: string, obj: KubeObject, options: SimWriteOptions = {}): KubeObject {
    const r = simResource(resource);
    const meta = { ...(obj.metadata ?? {}) };
    if (!meta.name && meta.generateName) {
      let suffix = "";
      for (let i = 0; i < 5; i++) {
        suffix += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
      }
      meta.name = meta.generateName + suffix;
    }
    const name = validateName(r, meta.name);
    if (r.namespaced) meta.namespace = this.#namespaceOf(r, { metadata: meta });
    else delete meta.namespace;
    if (this.#map(r).has(entryKey(meta.namespace ?? "", name))) {
      throw new KubeStatusError(
        409,
        "AlreadyExists",
        `${r.group ? `${r.resource}.${r.group}` : r.resource} "${name}" already exists`,
        {
          details: errorDetails(r, name),
        },
      );
    }
    meta.uid = crypto.randomUUID();
    meta.creationTimestamp = nowTimestamp();
    delete meta.resourceVersion;
    const full = canonicalObject(r, { ...obj, metadata: meta });
    if (r.resource === "secrets") full.type ??= "Opaque"; // the apiserver's defaulting
    if (r.resource === "namespaces") {
      full.spec ??= { finalizers: ["kubernetes"] };
      full.status ??= { phase: "Active" };
    }
    if (options.dryRun) return full;
    return this.#put(r, full, "ADDED");
  }

  /**
   * Replaces an object (PUT). A set metadata.resourceVersion must equal the stored one; an
   * update that changes nothing keeps the resourceVersion and sends no event, like etcd3's
   * GuaranteedUpdate.
   *
   * @throws {KubeStatusError} 404 NotFound, 409 Conflict on a stale resourceVersion, 422 Invalid.
   */
  update(resource: string, obj: KubeObject, options: SimWriteOptions = {}): KubeObject {
    const r = simResource(resource);
    const name = validateName(r, obj.metadata?.name);
    const prev = this.#map(r).get(entryKey(this.#namespaceOf(r, obj), name));
    if (!prev) throw notFound(r, name);
    const given = obj.metadata.resourceVersion;
    if (given !== undefined && given !== "" && given !== String(prev.rv)) {
      throw conflict(
        r,
        name,
        "the object has been modified; please apply your changes to the latest version and try again",
      );
    }
    const old = entryObject(prev);
    const meta = { ...obj.metadata, namespace: prev.namespace || undefined, uid: prev.uid };
    meta.creationTimestamp = old.metadata.creationTimestamp;
    meta.resourceVersion = String(prev.rv);
    const full = canonicalObject(r, { ...obj, metadata: meta });
    if (JSON.stringify(full) === JSON.stringify(old)) return old;
    if (options.dryRun) return full;
    return this.#put(r, full, "MODIFIED", prev);
  }

  /**
   * Patches an object. A resourceVersion inside the patch is a precondition, as in the apiserver.
   *
   * @throws {KubeStatusError} 404 NotFound, 409 Conflict, 422/400 for a patch that cannot apply.
   */
  patch(
    resource: string,
    namespace: string,
    name: string,
    type: SimPatchType,
    patch: unknown,
    options: SimWriteOptions = {},
  ): KubeObject {
    const r = simResource(resource);
    const prev = this.#map(r).get(entryKey(r.namespaced ? namespace || "default" : "", name));
    if (!prev) throw notFound(r, name);
    const patched = applyPatch(entryObject(prev), type, patch) as KubeObject;
    if (patched === null || typeof patched !== "object" || typeof patched.metadata !== "object") {
      throw new KubeStatusError(
        422,
        "Invalid",
        `${r.kind} "${name}" is invalid: metadata: Required value`,
      );
    }
    patched.metadata = { ...patched.metadata, name, namespace: prev.namespace || undefined };
    return this.update(resource, patched, options);
  }

  /**
   * Deletes an object and returns its last state.
   *
   * @throws {KubeStatusError} 404 NotFound, 409 Conflict when a precondition fails.
   */
  delete(
    resource: string,
    namespace: string,
    name: string,
    options: SimDeleteOptions = {},
  ): KubeObject {
    const r = simResource(resource);
    const key = entryKey(r.namespaced ? namespace || "default" : "", name);
    const prev = this.#map(r).get(key);
    if (!prev) throw notFound(r, name);
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== prev.uid) {
      throw conflict(
        r,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${prev.uid}`,
      );
    }
    if (pre?.resourceVersion && pre.resourceVersion !== String(prev.rv)) {
      throw conflict(
        r,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${prev.rv}`,
      );
    }
    if (options.dryRun) return entryObject(prev);
    const rv = ++this.#rv;
    this.#map(r).delete(key);
    this.#sortedKeys.delete(r.resource);
    this.#emit({ type: "DELETED", resource: r.resource, rv, entry: restamp(r, prev, rv), prev });
    return entryObject(prev);
  }

  /** The stored entry, or undefined. */
  getEntry(resource: string, namespace: string, name: string): SimEntry | undefined {
    const r = simResource(resource);
    return this.#map(r).get(entryKey(r.namespaced ? namespace : "", name));
  }

  /**
   * A decoded copy of one object.
   *
   * @throws {KubeStatusError} 404 NotFound.
   */
  get(resource: string, namespace: string, name: string): KubeObject {
    const e = this.getEntry(resource, namespace, name);
    if (!e) throw notFound(simResource(resource), name);
    return entryObject(e);
  }

  /**
   * One page of a list as entries, consistent at one resourceVersion.
   *
   * @throws {KubeStatusError} 400 for bad selectors or tokens, 410 Expired for a compacted
   * continue or exact resourceVersion, 504 for a resourceVersion from the future.
   */
  listEntries(resource: string, options: SimListOptions = {}): SimListPage {
    return listPage(simResource(resource), options, {
      rv: this.#rv,
      compactedRv: this.#history.compactedRv,
      keys: this.sortedKeys(resource),
      current: this.#map(simResource(resource)),
      history: this.#history.events,
    });
  }

  /** A list object (`ConfigMapList`) with decoded items; convenient for tests and fixtures. */
  list(resource: string, options: SimListOptions = {}): KubeObject & { items: KubeObject[] } {
    const r = simResource(resource);
    const page = this.listEntries(resource, options);
    const metadata: Record<string, unknown> = { resourceVersion: String(page.resourceVersion) };
    if (page.continue) metadata.continue = page.continue;
    if (page.remainingItemCount !== undefined) {
      metadata.remainingItemCount = page.remainingItemCount;
    }
    return {
      kind: `${r.kind}List`,
      apiVersion: r.apiVersion,
      metadata,
      items: page.entries.map(entryObject),
    };
  }

  /**
   * Registers `listener` for changes of `resource` after resourceVersion `fromRv`; the events
   * already in history come back as the backlog, later ones through the listener.
   *
   * @throws {KubeStatusError} 410 Expired when `fromRv` is older than the kept history.
   */
  watch(resource: string, fromRv: number, listener: (e: SimEvent) => void): SimWatchHandle {
    const r = simResource(resource);
    if (fromRv < this.#history.compactedRv) {
      throw new KubeStatusError(
        410,
        "Expired",
        `too old resource version: ${fromRv} (${this.#history.compactedRv})`,
      );
    }
    return this.#history.subscribe(r.resource, fromRv, listener);
  }

  /** Drops all history: every older resourceVersion now gets 410, like an etcd compaction. */
  compact(): void {
    this.#history.compact(this.#rv);
  }
}
