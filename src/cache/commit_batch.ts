/**
 * @module Atomic commits kept inside Deno KV's limits (1,000 mutations, 800 KiB per commit,
 * 80 KiB of keys per commit).
 *
 * Mutations are queued into one `AtomicOperation` and committed when the next one would
 * exceed the budget; commits happen in the order mutations were added, which compaction relies
 * on (older records are deleted before the tombstone that hides them).
 */
import { estimateKeyBytes } from "./cache_keys.ts";

/** Budget of one commit, below KV's limits so keys and framing always fit. */
export interface CommitLimits {
  /** @default 700 KiB */
  maxBytes?: number;
  /** @default 900 */
  maxMutations?: number;
  /**
   * Key bytes alone: KV refuses an atomic operation whose keys total over 80 KiB ("Total key
   * size too large"), which 900 small records (~100-byte keys, tiny values) exceed long before
   * the byte budget: every list of a thousand small objects failed to cache. @default 60 KiB
   */
  maxKeyBytes?: number;
}

/** Thrown when a `.check()` failed: someone else changed the checked key. */
export class CommitConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CommitConflictError";
  }
}

/** Collects mutations and commits them in budget-sized atomic operations. */
export class CommitBatch {
  readonly #kv: Deno.Kv;
  readonly #maxBytes: number;
  readonly #maxMutations: number;
  readonly #maxKeyBytes: number;
  #op: Deno.AtomicOperation;
  #bytes = 0;
  #keyBytes = 0;
  #mutations = 0;
  /** Key and value bytes of all commits so far. */
  bytesCommitted = 0;
  /** Number of commits so far. */
  commits = 0;
  /** The versionstamp of the last commit ("" before the first). */
  lastVersionstamp = "";

  constructor(kv: Deno.Kv, limits: CommitLimits = {}) {
    this.#kv = kv;
    this.#maxBytes = limits.maxBytes ?? 700 * 1024;
    this.#maxMutations = limits.maxMutations ?? 900;
    this.#maxKeyBytes = limits.maxKeyBytes ?? 60 * 1024;
    this.#op = kv.atomic();
  }

  /** Mutations waiting for the next commit. */
  get pending(): number {
    return this.#mutations;
  }

  /** Queues a set, committing first when it would not fit. */
  async set(key: Deno.KvKey, value: Uint8Array): Promise<void> {
    const keySize = estimateKeyBytes(key);
    const size = keySize + value.byteLength;
    if (!this.#fits(size, keySize)) await this.flush();
    this.#op.set(key, value);
    this.#add(size, keySize);
  }

  /** Queues a delete, committing first when it would not fit. */
  async delete(key: Deno.KvKey): Promise<void> {
    const size = estimateKeyBytes(key);
    if (!this.#fits(size, size)) await this.flush();
    this.#op.delete(key);
    this.#add(size, size);
  }

  /**
   * Commits what is queued, with an optional check and a last set in the same commit (the
   * meta flip). Does nothing when nothing is queued and no final set is given.
   *
   * @throws {CommitConflictError} when the check failed; nothing of this commit applied.
   * @throws the KV error when the commit failed otherwise.
   */
  async flush(
    final?: { check?: Deno.AtomicCheck; key: Deno.KvKey; value: Uint8Array },
  ): Promise<void> {
    if (final) {
      // The check's key counts towards KV's key total too.
      const keySize = estimateKeyBytes(final.key) * (final.check ? 2 : 1);
      const size = keySize + final.value.byteLength;
      if (!this.#fits(size, keySize)) await this.flush();
      if (final.check) this.#op.check(final.check);
      this.#op.set(final.key, final.value);
      this.#add(size, keySize);
    }
    if (this.#mutations === 0) return;
    const op = this.#op;
    const bytes = this.#bytes;
    this.#op = this.#kv.atomic();
    this.#bytes = 0;
    this.#keyBytes = 0;
    this.#mutations = 0;
    const res = await op.commit();
    if (!res.ok) throw new CommitConflictError("Cache commit lost a race: the entry changed");
    this.bytesCommitted += bytes;
    this.commits++;
    this.lastVersionstamp = res.versionstamp;
  }

  #fits(size: number, keySize: number): boolean {
    return this.#mutations === 0 ||
      (this.#mutations + 1 <= this.#maxMutations && this.#bytes + size <= this.#maxBytes &&
        this.#keyBytes + keySize <= this.#maxKeyBytes);
  }

  #add(size: number, keySize: number): void {
    this.#bytes += size;
    this.#keyBytes += keySize;
    this.#mutations++;
  }
}
