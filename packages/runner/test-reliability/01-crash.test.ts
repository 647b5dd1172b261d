import { simulateActivity, type Rng } from "@project88/runsignup-adapter/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { killChildren, type CliChild } from "../test/support/cli-process.js";
import { createRig, type Rig } from "./support/rig.js";
import { envInt, pause, report, rngFor } from "./support/seed.js";

/**
 * Section 1: SIGKILL at seeded random points during a large backfill, during incremental passes
 * while registrations keep changing, and during discovery; restarts with `once` and `start`.
 * Sizes: RELIABILITY_BIG_RACE (registrations of the big race) and RELIABILITY_KILLS (split
 * 40% / 40% / 20% over the three phases). The issue asks for 60,000 and 20; the defaults are
 * 40,000 and 16 so the whole suite fits CI's time on two cores (the full size took 209 s here:
 * RELIABILITY_BIG_RACE=60000 RELIABILITY_KILLS=20 pnpm test:reliability; see BENCHMARKS.md).
 */
const BIG = envInt("RELIABILITY_BIG_RACE", 40_000);
const KILLS = envInt("RELIABILITY_KILLS", 16);
const PAGE = 2_500;
const DAY = 86_400_000;

interface Kill {
  phase: "backfill" | "incremental" | "discovery";
  restart: "start" | "once";
  /** Events whose leases the dead process held. */
  held: string[];
  at: number;
  /** Ms from the kill until another process began a pass of one of `held` (start restarts only). */
  takeoverMs: number | null;
}

describe("section 1: SIGKILL at random points, then restart", () => {
  let rig: Rig;
  let rng: Rng;
  let seed: number;
  let bigEvent: number;
  let smallEvents: number[];
  const kills: Kill[] = [];

  beforeAll(async () => {
    ({ seed, rng } = rngFor("crash"));
    rig = await createRig({ prefix: "rel_crash", seed });
    const key = rig.keys[0]!;
    const d = rig.fake.dataset;
    const big = d.addRace({
      keys: [key],
      timezone: "America/Chicago",
      name: "Big City Marathon",
      events: [{ startsAt: new Date(Date.now() + 30 * DAY), name: "Marathon" }],
    });
    bigEvent = big.events[0]!.eventId;
    const registered = new Date(Date.now() - 3 * DAY);
    for (let i = 0; i < BIG; i++) d.create(bigEvent, {}, registered);
    smallEvents = [];
    for (let r = 0; r < 4; r++) {
      const starts = Date.now() + (r + 1) * 3_600_000;
      const race = d.addRace({
        keys: [key],
        timezone: ["America/Denver", "Europe/London", "Australia/Sydney", "Pacific/Honolulu"][r]!,
        events: [{ startsAt: new Date(starts) }, { startsAt: new Date(starts + 1_800_000) }],
      });
      for (const e of race.events) {
        smallEvents.push(e.eventId);
        for (let i = 0; i < 200; i++) d.create(e.eventId, {}, registered);
      }
    }
    report("crash setup", { schema: rig.db.schema, seed, bigRace: BIG, kills: KILLS, smallEvents: smallEvents.length });
  });

  let failed = false;
  afterEach((ctx) => {
    if (ctx.task.result?.state === "fail") failed = true;
  });
  afterAll(async () => {
    killChildren();
    // A failed run keeps its schema to inspect (its name is in the setup line).
    await rig?.close(failed);
  });

  /** Events leased right now (only the process just killed can hold them: one runs at a time). */
  const heldLeases = async (): Promise<string[]> =>
    (
      await rig.sql.query<{ event_id: string }>(
        `SELECT event_id FROM "${rig.db.schema}".sync_state WHERE lease_owner IS NOT NULL AND lease_expires_at > now()`,
      )
    ).map((r) => r.event_id);

  const passOf = (ids: readonly string[]) => (line: string) => line.includes('"sync:start"') && ids.some((id) => line.includes(`"${id}"`));

  /**
   * Starts the next process after a kill: `start` at once (and the takeover is timed), or `once`
   * after the dead process's leases expired (before that it would find nothing it may claim).
   */
  const restart = async (kill: Kill | null, mode: "start" | "once"): Promise<CliChild> => {
    if (mode === "once") {
      await rig.leasesFree();
      return rig.spawnOnce();
    }
    const child = rig.spawnStart();
    if (kill !== null && kill.held.length > 0) {
      await child.waitForLine(passOf(kill.held));
      kill.takeoverMs = Date.now() - kill.at;
    }
    return child;
  };

  const killNow = async (child: CliChild, phase: Kill["phase"], next: Kill["restart"]): Promise<Kill> => {
    child.kill("SIGKILL");
    const at = Date.now();
    await child.exited;
    const kill: Kill = { phase, restart: next, held: await heldLeases(), at, takeoverMs: null };
    kills.push(kill);
    return kill;
  };

  /** Waits for `line` in `child`, or for it to exit: true when the line came first. */
  const reached = (child: CliChild, test: (line: string) => boolean): Promise<boolean> =>
    Promise.race([child.waitForLine(test).then(() => true), child.exited.then(() => false)]).catch(() => false);

  it("after every kill and restart the registrations table equals the fake exactly", {
    timeout: Math.max(240_000, KILLS * 15_000),
  }, async () => {
    const perPhase: Record<Kill["phase"], number> = {
      backfill: Math.round(KILLS * 0.4),
      incremental: Math.round(KILLS * 0.4),
      discovery: KILLS - 2 * Math.round(KILLS * 0.4),
    };
    const mode = (): Kill["restart"] => (rng.chance(0.35) ? "once" : "start");

    // Phase A: the big race's backfill, killed after 1-3 of its pages in this process plus 0-400 ms.
    let child = await restart(null, "start");
    for (let i = 0; i < perPhase.backfill; i++) {
      const pages = rng.int(1, 3);
      let seen = 0;
      const hit = await reached(
        child,
        (l) => l.includes('"sync:page"') && l.includes(`"${bigEvent}"`) && l.includes('"registrations"') && ++seen >= pages,
      );
      if (!hit) {
        // The backfill finished before this kill point: the kills left go to the next phase.
        perPhase.incremental += perPhase.backfill - i;
        break;
      }
      await pause(rng.int(0, 400));
      const next = mode();
      const kill = await killNow(child, "backfill", next);
      child = await restart(kill, next);
    }

    // Phase B: incremental passes while the fake keeps changing registrations.
    const mutator = setInterval(() => {
      simulateActivity(rig.fake.dataset, {
        registrations: 1,
        modifications: 1,
        removals: rng.chance(0.4) ? 1 : 0,
        transfers: rng.chance(0.2) ? 1 : 0,
        eventIds: smallEvents,
      });
    }, 100);
    try {
      for (let i = 0; i < perPhase.incremental; i++) {
        const hit = await reached(child, (l) => l.includes('"sync:start"') && l.includes('"incremental"'));
        if (!hit) {
          child = await restart(null, "start");
          i--;
          continue;
        }
        await pause(rng.int(0, 600));
        const next = mode();
        const kill = await killNow(child, "incremental", next);
        child = await restart(kill, next);
      }
    } finally {
      clearInterval(mutator);
    }

    // Phase C: discovery, made slow (1.5 s per races call) so each kill lands inside it.
    if (child.child.exitCode === null) child.kill("SIGKILL");
    await child.exited;
    const newRaces = Array.from({ length: 12 }, (_, r) =>
      rig.fake.dataset.addRace({
        keys: [rig.keys[0]!],
        timezone: "America/New_York",
        events: [{ startsAt: new Date(Date.now() + (r + 2) * DAY) }],
      }),
    );
    for (const race of newRaces)
      for (let i = 0; i < 30; i++) rig.fake.dataset.create(race.events[0]!.eventId, {}, new Date(Date.now() - DAY));
    // A discovery slot in the current minute is later than the one already served, so it is due.
    const slot = new Date().toISOString().slice(11, 16);
    await rig.configure({ schedule: { ...(await rig.schedule()), discoveryTimes: [slot] } });
    rig.fake.faults.script(
      ...Array.from({ length: 2 * perPhase.discovery + 2 }, () => ({ kind: "slow" as const, endpoint: "races" as const, delayMs: 1_500 })),
    );
    await rig.leasesFree();
    child = rig.spawnStart();
    for (let i = 0; i < perPhase.discovery; i++) {
      const hit = await reached(child, (l) => l.includes('"discovery:start"'));
      if (!hit) break;
      await pause(rng.int(0, 1_200));
      const next = i % 2 === 0 ? "start" : "once";
      await killNow(child, "discovery", next);
      if (next === "start") child = rig.spawnStart();
      else {
        await rig.leasesFree();
        child = rig.spawnOnce();
      }
    }
    rig.fake.faults.clear();
    if (child.child.exitCode === null) child.kill("SIGKILL");
    await child.exited;

    // Restart after the last kill: `once` until every event has been synced after the last change.
    await rig.leasesFree();
    let diff: string[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      await pause(2_100); // every event falls due again (tier interval 2 s)
      const once = await rig.once();
      expect(once.code, once.stderr).toBe(0);
      diff = await rig.diff();
      if (diff.length === 0) break;
    }
    expect(diff).toEqual([]);

    const events = await rig.sql.query<{ event_id: string; backfilled_at: Date | null }>(
      `SELECT event_id, backfilled_at FROM "${rig.db.schema}".sync_state`,
    );
    expect(events).toHaveLength(rig.fake.dataset.events.size);
    expect(events.filter((e) => e.backfilled_at === null)).toEqual([]);

    // The big race's backfill resumed from its last committed page: fewer data calls than a full pull.
    const fullPages = Math.ceil(BIG / PAGE);
    const backfills = await rig.sql.query<{ api_calls: number; status: string }>(
      `SELECT api_calls, status FROM "${rig.db.schema}".sync_runs WHERE kind = 'backfill' AND $1 = ANY(event_ids) ORDER BY id`,
      [String(bigEvent)],
    );
    const done = backfills.filter((b) => b.status === "succeeded");
    expect(done).toHaveLength(1);
    expect(backfills.length).toBeGreaterThan(1); // it was interrupted at least once
    expect(done[0]!.api_calls).toBeLessThan(fullPages);

    const takeovers = kills
      .map((k) => k.takeoverMs)
      .filter((t): t is number => t !== null)
      .sort((a, b) => a - b);
    report("crash", {
      seed,
      kills: kills.length,
      byPhase: Object.fromEntries(
        (["backfill", "incremental", "discovery"] as const).map((p) => [p, kills.filter((k) => k.phase === p).length]),
      ),
      restarts: { start: kills.filter((k) => k.restart === "start").length, once: kills.filter((k) => k.restart === "once").length },
      bigRaceFullPages: fullPages,
      resumedBackfillCalls: done[0]!.api_calls,
      backfillRuns: backfills.length,
      takeoverMs: {
        n: takeovers.length,
        min: takeovers[0],
        median: takeovers[Math.floor(takeovers.length / 2)],
        max: takeovers.at(-1),
        all: takeovers,
      },
      leaseMs: 4_000,
    });
    expect(kills.length).toBe(KILLS);
  });

  it("no sync_runs row is left running once the dead processes' leases expired: each is closed as abandoned", async () => {
    await rig.leasesFree();
    const runs = await rig.runsByStatus();
    report("crash runs", runs);
    expect(runs.running ?? 0).toBe(0);
    expect(runs.abandoned ?? 0).toBeGreaterThan(0);
  });
});
