import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acquireDataDirLock, DataDirLockedError, LOCK_FILE, readLockOwner } from "../src/data-dir-lock.js";

let dir: string;
beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), "p88-lock-")), ".project88-sync");
});
afterEach(async () => {
  await rm(join(dir, ".."), { recursive: true, force: true });
});

/** A lock record as another process would have left it. */
async function foreignLock(owner: Record<string, unknown>, ageMs = 0): Promise<void> {
  const first = await acquireDataDirLock(dir, { command: "setup" });
  await first.release();
  await writeFile(
    join(dir, LOCK_FILE),
    JSON.stringify({ hostname: hostname(), command: "project88-sync start", since: "2026-06-13T06:00:00.000Z", ...owner }),
  );
  const at = new Date(Date.now() - ageMs);
  await utimes(join(dir, LOCK_FILE), at, at);
}

describe("the data directory lock", () => {
  it("creates the directory 0700 and records the holder", async () => {
    const lock = await acquireDataDirLock(dir, { command: "project88-sync start" });
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(await readLockOwner(dir)).toMatchObject({ pid: process.pid, command: "project88-sync start", hostname: hostname() });
    await lock.setHttp("http://127.0.0.1:9464/");
    expect((await readLockOwner(dir))?.http).toBe("http://127.0.0.1:9464/");
    await lock.release();
    expect(await readLockOwner(dir)).toBeNull();
  });

  it("narrows a directory an older version created with a wider mode", async () => {
    await mkdir(dir, { mode: 0o755 });
    expect((await stat(dir)).mode & 0o777).not.toBe(0o700);
    const lock = await acquireDataDirLock(dir, { command: "project88-sync start" });
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    await lock.release();
  });

  it("is refused while its holder lives, naming pid, command and since", async () => {
    await foreignLock({ pid: 4242, http: "http://127.0.0.1:1234/" });
    const error = await acquireDataDirLock(dir, { command: "project88-sync once", isAlive: (pid) => pid === 4242 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DataDirLockedError);
    expect((error as DataDirLockedError).owner).toMatchObject({
      pid: 4242,
      command: "project88-sync start",
      since: "2026-06-13T06:00:00.000Z",
      http: "http://127.0.0.1:1234/",
    });
    expect((error as Error).message).toMatch(/process 4242 \(project88-sync start\).*since 2026-06-13T06:00:00.000Z/);
  });

  it("is taken over at once when its process is gone", async () => {
    await foreignLock({ pid: 4242 });
    const lock = await acquireDataDirLock(dir, { command: "project88-sync start", isAlive: () => false });
    expect((await readLockOwner(dir))?.pid).toBe(process.pid);
    await lock.release();
  });

  it("is taken over when not refreshed for staleMs, even if the pid runs again (a reused pid)", async () => {
    await foreignLock({ pid: 4242 }, 200_000);
    const lock = await acquireDataDirLock(dir, { command: "project88-sync start", isAlive: () => true, staleMs: 120_000 });
    expect((await readLockOwner(dir))?.pid).toBe(process.pid);
    await lock.release();
  });

  it("from another host is trusted while it is refreshed", async () => {
    await foreignLock({ pid: 4242, hostname: "other-host" });
    await expect(acquireDataDirLock(dir, { command: "x", isAlive: () => false })).rejects.toBeInstanceOf(DataDirLockedError);
  });

  it("held by this very process is not taken again; a record from a previous life of this pid is", async () => {
    const lock = await acquireDataDirLock(dir, { command: "first" });
    await expect(acquireDataDirLock(dir, { command: "second" })).rejects.toBeInstanceOf(DataDirLockedError);
    await lock.release();
    await foreignLock({ pid: process.pid, since: "2020-01-01T00:00:00.000Z" });
    const again = await acquireDataDirLock(dir, { command: "restarted" });
    expect((await readLockOwner(dir))?.command).toBe("restarted");
    await again.release();
  });

  it("release leaves a lock someone else took", async () => {
    const lock = await acquireDataDirLock(dir, { command: "first" });
    await writeFile(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: 4242, hostname: hostname(), command: "other", since: new Date().toISOString() }),
    );
    await lock.release();
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), "utf8"))).toMatchObject({ pid: 4242 });
  });
});
