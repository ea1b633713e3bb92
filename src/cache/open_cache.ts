/**
 * @module Opens the cache's KV file privately and never lets a bad file stop the proxy.
 *
 * The directory is made 0700 and the SQLite files (`path`, `path-wal`, `path-shm`) 0600: the
 * cache holds other clients' data. A file that cannot be opened or read through is moved aside
 * to `<path>.corrupt-<timestamp>` and the proxy starts with an empty cache, then the start-up
 * garbage collection runs.
 */
import { type CacheLogger, silentLogger } from "./cache_stats.ts";
import { collectGarbage } from "./collect_garbage.ts";

const SQLITE_SUFFIXES = ["", "-wal", "-shm", "-journal"];

/**
 * Opens (or creates) the cache at `path`; `":memory:"` opens a throw-away cache for tests.
 *
 * @throws the error when the file cannot be opened for a reason that is not its content
 * (permissions, a lock held by another process), or when even a fresh file fails: the caller
 * then runs without a cache.
 */
export async function openCache(
  path: string,
  logger: CacheLogger = silentLogger,
): Promise<Deno.Kv> {
  if (path === ":memory:") {
    const kv = await Deno.openKv(":memory:");
    await collectGarbage(kv);
    return kv;
  }
  await ensurePrivateDir(dirOf(path), logger);
  try {
    return await openAndSweep(path, logger);
  } catch (err) {
    if (!looksCorrupt(err)) throw err;
    const aside = `${path}.corrupt-${new Date().toISOString().replace(/[-:.]/g, "")}`;
    for (const suffix of SQLITE_SUFFIXES) {
      try {
        await Deno.rename(path + suffix, aside + suffix);
      } catch (renameErr) {
        if (!(renameErr instanceof Deno.errors.NotFound)) throw renameErr;
      }
    }
    logger(
      "error",
      `Cache file "${path}" is unreadable; moved it to "${aside}" and starting with an empty cache`,
      {
        error: String(err),
      },
    );
    return await openAndSweep(path, logger);
  }
}

/**
 * Whether an open failure is the file's fault. Missing rights, a lock held by another process
 * or a missing KV API are not: moving the file aside would lose a good cache.
 */
function looksCorrupt(err: unknown): boolean {
  if (err instanceof TypeError) return false;
  if (err instanceof Deno.errors.PermissionDenied || err instanceof Deno.errors.NotCapable) {
    return false;
  }
  return !/database is locked|busy/i.test(String(err));
}

async function openAndSweep(path: string, logger: CacheLogger): Promise<Deno.Kv> {
  // Created 0600 before SQLite sees it, so it is never briefly readable by others;
  // SQLite gives its -wal and -shm files the database file's mode.
  try {
    await Deno.writeFile(path, new Uint8Array(), { createNew: true, mode: 0o600 });
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
  }
  const kv = await Deno.openKv(path);
  try {
    const report = await collectGarbage(kv);
    for (const suffix of ["", "-wal", "-shm"]) await chmodIfPresent(path + suffix, 0o600);
    logger("info", "Cache opened", { path, ...report });
    return kv;
  } catch (err) {
    kv.close();
    throw err;
  }
}

async function chmodIfPresent(path: string, mode: number): Promise<void> {
  try {
    await Deno.chmod(path, mode);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

/** Creates the directory 0700, or tightens one of ours that others can read. */
async function ensurePrivateDir(dir: string, logger: CacheLogger): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await Deno.chmod(dir, 0o700); // mkdir's mode is filtered by the umask
    return;
  }
  const mode = info.mode ?? 0;
  if ((mode & 0o077) === 0) return;
  if (mode & 0o1000) {
    // A shared sticky directory like /tmp: tightening it would break other users.
    logger("warn", `Cache directory "${dir}" is shared; the cache file itself is kept 0600`);
    return;
  }
  await Deno.chmod(dir, 0o700);
  logger("info", `Cache directory "${dir}" was readable by others; made it 0700`);
}

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i > 0 ? path.slice(0, i) : i === 0 ? "/" : ".";
}
