import { randomBytes } from "node:crypto";
import { chmod, link, mkdir, readFile, rename, rm, stat, unlink, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";

/**
 * An exclusive lock on the embedded database's data directory. PGlite takes no lock across
 * processes, and two processes writing one data directory corrupt it, so every command that opens
 * `./.project88-sync/` holds this lock for its whole life.
 *
 * The lock is the file `lock` in the directory, created whole by `link(2)` (atomic, fails if it
 * exists) and holding the owner's record. It is stale, and taken over, when its process is gone
 * (same host, no such pid: a SIGKILL or a crash never blocks the next start), when it names this
 * very process id (a container restarted as pid 1), or when its holder stopped refreshing it
 * for `staleMs` (a pid reused after a reboot, or a holder on another host sharing the disk).
 */

/** Who holds the lock, as recorded in it. */
export interface LockOwner {
  readonly pid: number;
  readonly hostname: string;
  /** The command line, e.g. `project88-sync start`. */
  readonly command: string;
  /** ISO instant the lock was taken. */
  readonly since: string;
  /** The holder's status server (`http://127.0.0.1:9464/`), once it listens. */
  readonly http?: string | undefined;
}

/** The data directory is locked by a live process. */
export class DataDirLockedError extends Error {
  override readonly name = "DataDirLockedError";
  constructor(
    readonly dir: string,
    readonly owner: LockOwner,
  ) {
    super(`the embedded database in ${dir} is in use by process ${owner.pid} (${owner.command}) on ${owner.hostname} since ${owner.since}`);
  }
}

/** A held lock. */
export interface DataDirLock {
  readonly dir: string;
  readonly owner: LockOwner;
  /** Records the status server's address beside the lock, for `status` and `plan` in other processes. */
  setHttp(url: string): Promise<void>;
  /** Releases the lock if it is still ours. Idempotent. */
  release(): Promise<void>;
}

export interface AcquireLockOptions {
  /** What the lock records as the holder's command. */
  readonly command: string;
  /** How often the holder refreshes the lock (10 s). */
  readonly refreshMs?: number;
  /** A lock not refreshed for this long is stale even if its pid runs (120 s). */
  readonly staleMs?: number;
  /** Test seam: whether a process with this pid runs on this host. */
  readonly isAlive?: (pid: number) => boolean;
}

/** The lock file's name inside the data directory. */
export const LOCK_FILE = "lock";

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is someone else's.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Reads the record of the lock at `path`, or null when there is none or it is unreadable. */
export async function readLockOwner(dir: string): Promise<LockOwner | null> {
  try {
    const data = JSON.parse(await readFile(join(dir, LOCK_FILE), "utf8")) as Partial<LockOwner>;
    if (typeof data.pid !== "number" || typeof data.since !== "string") return null;
    return {
      pid: data.pid,
      hostname: String(data.hostname ?? ""),
      command: String(data.command ?? "?"),
      since: data.since,
      http: typeof data.http === "string" ? data.http : undefined,
    };
  } catch {
    return null;
  }
}

async function writeRecord(dir: string, owner: LockOwner): Promise<string> {
  const tmp = join(dir, `${LOCK_FILE}.${process.pid}.${randomBytes(4).toString("hex")}`);
  await writeFile(tmp, `${JSON.stringify(owner)}\n`, { mode: 0o600 });
  return tmp;
}

/**
 * Creates the data directory (0700) and takes its lock, or throws `DataDirLockedError` naming
 * the live holder.
 */
export async function acquireDataDirLock(dir: string, options: AcquireLockOptions): Promise<DataDirLock> {
  const refreshMs = options.refreshMs ?? 10_000;
  const staleMs = options.staleMs ?? 120_000;
  const isAlive = options.isAlive ?? processIsAlive;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // An existing directory (an older version, a umask of 022) is narrowed too: it holds registrations.
  await chmod(dir, 0o700).catch(() => undefined);
  const path = join(dir, LOCK_FILE);
  let owner: LockOwner = { pid: process.pid, hostname: hostname(), command: options.command, since: new Date().toISOString() };

  const isStale = async (found: LockOwner | null): Promise<boolean> => {
    const age = await stat(path).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (age > staleMs) return true;
    // A record still being written (link makes it whole, so only a foreign writer) gets its refresh period.
    if (found === null) return age > refreshMs * 2;
    if (found.hostname !== owner.hostname) return false;
    // Our own pid: a lock from a previous life of this pid (a container's pid 1 restarted), unless
    // it was taken since this process started (then it is this process's own, and held).
    if (found.pid === process.pid) return Date.parse(found.since) < Date.now() - process.uptime() * 1000;
    return !isAlive(found.pid);
  };

  for (let attempt = 0; ; attempt++) {
    const tmp = await writeRecord(dir, owner);
    try {
      await link(tmp, path);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
    const found = await readLockOwner(dir);
    if (attempt >= 3 || !(await isStale(found))) {
      throw new DataDirLockedError(dir, found ?? { pid: 0, hostname: "?", command: "unknown (the lock file is unreadable)", since: "?" });
    }
    // Move the stale lock aside (atomic: of two processes taking over, one moves it), then check
    // that what was moved is the record judged stale and not a lock taken in between.
    const aside = `${path}.stale.${randomBytes(4).toString("hex")}`;
    try {
      await rename(path, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw error;
    }
    const moved = await readFile(aside, "utf8").then(
      (t) => JSON.parse(t) as Partial<LockOwner>,
      () => null,
    );
    if (found !== null && (moved?.pid !== found.pid || moved?.since !== found.since)) {
      // We moved a fresh lock: put it back and report its holder.
      await link(aside, path).catch(() => undefined);
      await rm(aside, { force: true });
      const holder = await readLockOwner(dir);
      throw new DataDirLockedError(
        dir,
        holder ?? {
          pid: moved?.pid ?? 0,
          hostname: String(moved?.hostname ?? "?"),
          command: String(moved?.command ?? "?"),
          since: String(moved?.since ?? "?"),
        },
      );
    }
    await rm(aside, { force: true });
  }

  const ours = (found: LockOwner | null) =>
    found !== null && found.pid === owner.pid && found.since === owner.since && found.hostname === owner.hostname;
  // The refresh proves this holder alive to processes that cannot check its pid.
  const timer = setInterval(() => {
    const now = new Date();
    void utimes(path, now, now).catch(() => undefined);
  }, refreshMs);
  timer.unref();
  let released = false;

  return {
    dir,
    get owner() {
      return owner;
    },
    async setHttp(url) {
      if (released || !ours(await readLockOwner(dir))) return;
      owner = { ...owner, http: url };
      const tmp = await writeRecord(dir, owner);
      // rename replaces the file whole: the lock exists at every instant.
      await rename(tmp, path);
    },
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      if (ours(await readLockOwner(dir))) await unlink(path).catch(() => undefined);
    },
  };
}
