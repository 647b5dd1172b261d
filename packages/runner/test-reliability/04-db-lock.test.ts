import { connectTestDatabase } from "@project88/postgres-store/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freePort, killChildren, spawnCli } from "../test/support/cli-process.js";
import { createRig, type Rig } from "./support/rig.js";
import { pause, report, rngFor } from "./support/seed.js";
import { getText } from "./support/timing.js";

/**
 * Section 3, part 2: a statement that hangs behind a lock. The test takes an ACCESS EXCLUSIVE
 * lock on `registrations` while `start` runs, so every page write waits. With a statement
 * timeout (`database.statementTimeout`, 3 s here; 60 s by default), the runner must not hang:
 * the pass fails with the timeout, the process stays up and answers, and once the lock is gone it
 * syncs everything, losing nothing.
 */
const STATEMENT_TIMEOUT_MS = 3_000;
const LOCK_MS = 12_000;

describe("section 3: a statement hanging behind a lock", () => {
  let rig: Rig;
  let failed = false;
  const eventIds: number[] = [];
  beforeAll(async () => {
    const { seed } = rngFor("db-lock");
    rig = await createRig({ prefix: "rel_lock", seed });
    for (let r = 0; r < 3; r++) {
      const race = rig.fake.dataset.addRace({
        keys: [rig.keys[0]!],
        timezone: "America/Chicago",
        events: [{ startsAt: new Date(Date.now() + (2 + r) * 3_600_000) }],
      });
      eventIds.push(race.events[0]!.eventId);
      for (let i = 0; i < 200; i++) rig.fake.dataset.create(race.events[0]!.eventId, {}, new Date(Date.now() - 86_400_000));
    }
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === "fail") failed = true;
  });
  afterAll(async () => {
    killChildren();
    await rig?.close(failed);
  });

  it("does not hang the runner past its statement timeout; it keeps running and catches up after", async () => {
    await rig.configure({ database: { statementTimeout: `${STATEMENT_TIMEOUT_MS}ms` } });
    const port = await freePort();
    const runner = spawnCli(
      ["start", "--config", rig.configPath, "--no-migrate", "--log-level", "debug", "--port", String(port), "--shutdown-timeout", "5s"],
      rig.env,
    );
    await runner.waitForLine((l) => l.includes('"engine:start"'));
    while ((await rig.diff(eventIds)).length > 0) await pause(200);

    const locker = await connectTestDatabase(rig.db.connectionString);
    await locker.query("BEGIN");
    await locker.query(`LOCK TABLE "${rig.db.schema}".registrations IN ACCESS EXCLUSIVE MODE`);
    const lockedAt = Date.now();
    for (const id of eventIds) rig.fake.dataset.register(id);
    const health: number[] = [];
    // The runner's statements waiting on the lock, sampled: none may wait longer than its timeout.
    const watcher = await connectTestDatabase(rig.db.connectionString);
    let waitingSeen = 0;
    let longestWaitMs = 0;
    let lastHealth = 0;
    while (Date.now() - lockedAt < LOCK_MS) {
      const waiting = await watcher.query<{ ms: number }>(
        `SELECT (extract(epoch FROM now() - query_start) * 1000)::int AS ms FROM pg_stat_activity
         WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid() AND query LIKE $1`,
        [`%${rig.db.schema}%`],
      );
      waitingSeen += waiting.length;
      longestWaitMs = Math.max(longestWaitMs, ...waiting.map((w) => w.ms));
      if (Date.now() - lastHealth >= 1_000) {
        lastHealth = Date.now();
        const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null);
        health.push(res?.status ?? 0);
      }
      await pause(250);
    }
    await watcher.end();
    const errorsWhileLocked = runner
      .logs()
      .filter((l) => l.event === "sync:error" && Number(l.time) >= lockedAt && Number(l.time) <= lockedAt + LOCK_MS);
    const firstError = errorsWhileLocked[0];
    await locker.query("ROLLBACK");
    await locker.end();
    const releasedAt = Date.now();
    while ((await rig.diff(eventIds)).length > 0 && Date.now() - releasedAt < 30_000) await pause(200);
    const caughtUpMs = Date.now() - releasedAt;
    const readyz = await getText(port, "/readyz");
    const alive = runner.child.exitCode === null;
    runner.kill("SIGTERM");
    const code = await runner.exited;
    report("db-lock", {
      statementTimeoutMs: STATEMENT_TIMEOUT_MS,
      waitingSamples: waitingSeen,
      longestWaitMs,
      firstErrorAfterMs: firstError ? Number(firstError.time) - lockedAt : null,
      firstError: firstError ? (firstError.error as { message?: string }).message : null,
      caughtUpMs,
    });
    expect(health.every((s) => s === 200)).toBe(true);
    expect(waitingSeen, "the runner's statements did wait on the lock").toBeGreaterThan(0);
    expect(longestWaitMs).toBeLessThan(STATEMENT_TIMEOUT_MS + 1_000);
    expect(alive).toBe(true);
    expect(await rig.diff(eventIds)).toEqual([]);
    expect(readyz).toContain("ready");
    expect(code).toBe(0);
  });
});
