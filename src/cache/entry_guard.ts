/**
 * @module In-process coordination of one KV file's entries: writer locks, reader registry.
 *
 * Deno KV's `list` is not a snapshot across batches, so a reader walking generation g must not
 * have g's records deleted under it. Readers register before they read the meta; compaction
 * waits for the readers registered before it began (later readers see the new meta, for which
 * compaction deletes nothing). Writers of one entry take turns, so a pending generation is
 * always `meta.gen + 1` and nothing else lives above the meta. The proxy is the only process
 * on its KV file, so process memory is the right place for this.
 */

/** Something that can be told to give up (an unfinished list writer). */
export interface Abortable {
  abort(reason?: string): void;
}

/** One object of a remembered index: enough to tell whether a relisted object changed. */
export interface IndexedVersion {
  resourceVersion: string;
  plainLength: number;
}

/**
 * What an entry held, by name, right after a list writer committed it: valid exactly while
 * the entry's meta still has `versionstamp` (every later commit flips the meta).
 */
export interface RememberedIndex {
  versionstamp: string;
  objects: Map<string, IndexedVersion>;
}

/** Objects remembered over all entries; past this the oldest entries are forgotten. */
const MAX_REMEMBERED_OBJECTS = 100_000;

/** Guard state of one KV handle. */
export class EntryGuard {
  readonly #indexes = new Map<string, RememberedIndex>();
  readonly #rvs = new Map<string, string>();
  #indexedObjects = 0;
  readonly #readers = new Map<string, Set<Promise<void>>>();
  readonly #locks = new Map<string, Promise<void>>();
  readonly #listWriters = new Map<string, Abortable>();
  readonly #dirty = new Set<string>();

  /** Registers a reader of an entry; call the returned function exactly when done. */
  beginRead(entryKey: string): () => void {
    let release!: () => void;
    const done = new Promise<void>((resolve) => release = resolve);
    let set = this.#readers.get(entryKey);
    if (!set) this.#readers.set(entryKey, set = new Set());
    set.add(done);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      set.delete(done);
      if (set.size === 0 && this.#readers.get(entryKey) === set) this.#readers.delete(entryKey);
      release();
    };
  }

  /**
   * Waits until readers registered so far have finished. Resolves false after `timeoutMs`
   * (a reader that was never closed): the caller then skips its deletes, which is always safe.
   */
  async drain(entryKey: string, timeoutMs: number): Promise<boolean> {
    const set = this.#readers.get(entryKey);
    if (!set || set.size === 0) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([Promise.all([...set]).then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Takes the writer lock of an entry, in arrival order; call the returned function to release. */
  async lock(entryKey: string): Promise<() => void> {
    const prev = this.#locks.get(entryKey) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => release = resolve);
    const tail = prev.then(() => mine);
    this.#locks.set(entryKey, tail);
    await prev;
    return () => {
      if (this.#locks.get(entryKey) === tail) this.#locks.delete(entryKey);
      release();
    };
  }

  /**
   * Records the unfinished list writer of an entry, aborting the one before it: a new list
   * of the same entry means the old continue chain is broken.
   */
  setListWriter(entryKey: string, writer: Abortable): void {
    const old = this.#listWriters.get(entryKey);
    this.#listWriters.set(entryKey, writer);
    if (old && old !== writer) old.abort("a new list of the same entry began");
  }

  /** Forgets a finished list writer (only if it is still the current one). */
  clearListWriter(entryKey: string, writer: Abortable): void {
    if (this.#listWriters.get(entryKey) === writer) this.#listWriters.delete(entryKey);
  }

  /** Marks an entry whose abandoned records could not be deleted: the next writer must. */
  setDirty(entryKey: string, dirty: boolean): void {
    if (dirty) this.#dirty.add(entryKey);
    else this.#dirty.delete(entryKey);
  }

  /**
   * Remembers what a committed entry holds, so its next list skips reading every record back
   * (a 60 MB list read ~30 MB of KV values only to learn nothing changed). Bounded: the
   * entries remembered longest ago are forgotten first.
   */
  rememberIndex(entryKey: string, index: RememberedIndex): void {
    this.forgetIndex(entryKey);
    if (index.objects.size > MAX_REMEMBERED_OBJECTS) return;
    this.#indexes.set(entryKey, index);
    this.#indexedObjects += index.objects.size;
    this.#evict(entryKey);
  }

  /** Forgets the longest-remembered entries other than `keep` until under the bound. */
  #evict(keep: string): void {
    for (const [k, old] of this.#indexes) {
      if (this.#indexedObjects <= MAX_REMEMBERED_OBJECTS) return;
      if (k === keep) continue;
      this.#indexes.delete(k);
      this.#indexedObjects -= old.objects.size;
    }
    // `keep` alone is over the bound (a watch kept adding to it): forget it too.
    if (this.#indexedObjects > MAX_REMEMBERED_OBJECTS) this.forgetIndex(keep);
  }

  /** The remembered index of an entry; the caller compares its versionstamp with the meta's. */
  recallIndex(entryKey: string): RememberedIndex | undefined {
    return this.#indexes.get(entryKey);
  }

  /**
   * Carries a remembered index over one more commit (a watch event): only when it was valid
   * for the meta that commit replaced (`from`), else it is forgotten. `version` null deletes.
   */
  advanceIndex(
    entryKey: string,
    from: string,
    to: string,
    change?: { nameKey: string; version: IndexedVersion | null },
  ): void {
    const index = this.#indexes.get(entryKey);
    if (!index) return;
    if (index.versionstamp !== from) return this.forgetIndex(entryKey);
    index.versionstamp = to;
    if (!change) return;
    const had = index.objects.delete(change.nameKey);
    if (had) this.#indexedObjects--;
    if (change.version) {
      index.objects.set(change.nameKey, change.version);
      this.#indexedObjects++;
      this.#evict(entryKey);
    }
  }

  /** Forgets an entry's index (an abandoned write, a skipped compaction). */
  forgetIndex(entryKey: string): void {
    const old = this.#indexes.get(entryKey);
    if (!old) return;
    this.#indexes.delete(entryKey);
    this.#indexedObjects -= old.objects.size;
  }

  /**
   * The resourceVersion of an entry's meta as last committed by this process, if known. Lets
   * the many watches of one client (200 informers of one node agent) skip an event that one of
   * them already applied without a KV read each.
   */
  knownResourceVersion(entryKey: string): string | undefined {
    return this.#rvs.get(entryKey);
  }

  /** Records (or, with null, forgets) the resourceVersion the entry's meta now has. */
  setKnownResourceVersion(entryKey: string, rv: string | null): void {
    if (rv === null) this.#rvs.delete(entryKey);
    else this.#rvs.set(entryKey, rv);
  }

  /** True when abandoned records above the meta's generation may remain. */
  isDirty(entryKey: string): boolean {
    return this.#dirty.has(entryKey);
  }
}

const guards = new WeakMap<Deno.Kv, EntryGuard>();

/** The guard of a KV handle (one per handle, created on first use). */
export function entryGuard(kv: Deno.Kv): EntryGuard {
  let g = guards.get(kv);
  if (!g) guards.set(kv, g = new EntryGuard());
  return g;
}

/** The guard key of an entry. */
export function guardKey(entry: { partition: string; id: string }): string {
  return `${entry.partition}\u0000${entry.id}`;
}
