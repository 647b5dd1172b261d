import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { promisify } from "node:util";
import { simulateActivity } from "@project88/runsignup-adapter/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freePort, killChildren } from "../test/support/cli-process.js";
import { createRig, type Rig } from "./support/rig.js";
import { pause, report, rngFor } from "./support/seed.js";

/**
 * Section 3, part 1: PostgreSQL restarts (stopped, down for 3 s, started) under a running `start`. This restarts the machine's
 * shared server (every other test on it sees a few seconds of refused connections), so it runs
 * last (files run in name order) and only when RELIABILITY_PG_RESTART=1, which `.ci/run` sets.
 */
const ENABLED = process.env.RELIABILITY_PG_RESTART === "1";
const run = promisify(execFile);

/** `pg_ctlcluster ... stop|start` for the machine's cluster. */
async function pgCluster(action: "stop" | "start"): Promise<void> {
  const version = readdirSync("/etc/postgresql").sort()[0];
  if (version === undefined) throw new Error("no PostgreSQL cluster under /etc/postgresql");
  await run("pg_ctlcluster", ["--skip-systemctl-redirect", version, "main", action], { timeout: 60_000 });
}

async function status(port: number, path: string): Promise<number> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 2_000);
  try {
    return (await fetch(`http://127.0.0.1:${port}${path}`, { signal: controller.signal })).status;
  } catch {
    return 0;
  } finally {
    clearTimeout(timer);
  }
}

describe.skipIf(!ENABLED)("section 3: PostgreSQL restarts while start runs", () => {
  let rig: Rig;
  let failed = false;
  beforeAll(async () => {
    const { seed } = rngFor("pg-restart");
    rig = await createRig({ prefix: "rel_pgrestart", seed });
    for (let r = 0; r < 3; r++) {
      const race = rig.fake.dataset.addRace({
        keys: [rig.keys[0]!],
        timezone: "Australia/Sydney",
        events: [
          { startsAt: new Date(Date.now() + (2 + r) * 3_600_000) },
          { startsAt: new Date(Date.now() + (2 + r) * 3_600_000 + 1_800_000) },
        ],
      });
      for (const e of race.events) for (let i = 0; i < 300; i++) rig.fake.dataset.create(e.eventId, {}, new Date(Date.now() - 86_400_000));
    }
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === "fail") failed = true;
  });
  afterAll(async () => {
    killChildren();
    await rig?.close(failed);
  });

  it("/readyz turns false, the runner keeps running, reconnects, finishes its work with nothing lost, and exits only on a signal", async () => {
    const port = await freePort();
    const child = await rig.start(["--port", String(port)]);
    while ((await rig.diff()).length > 0) await pause(250);
    const mutator = setInterval(
      () => simulateActivity(rig.fake.dataset, { registrations: 2, modifications: 2, removals: 1, transfers: 1 }),
      250,
    );
    const seen: { at: number; readyz: number; healthz: number }[] = [];
    const probe = setInterval(() => {
      void Promise.all([status(port, "/readyz"), status(port, "/healthz")]).then(([readyz, healthz]) =>
        seen.push({ at: Date.now(), readyz, healthz }),
      );
    }, 200);
    let restartedAt = 0;
    let backAt = 0;
    try {
      await pause(1_500);
      // A restart, held down for 3 s: a bare `restart` can be over within the status page's
      // one-second cache, and then nothing would have seen it.
      restartedAt = Date.now();
      try {
        await pgCluster("stop");
        await pause(3_000);
      } finally {
        await pgCluster("start");
      }
      backAt = Date.now();
      // Ready again: the runner reconnected by itself.
      const deadline = Date.now() + 60_000;
      while ((await status(port, "/readyz")) !== 200) {
        if (Date.now() > deadline) throw new Error("the runner never became ready again");
        await pause(200);
      }
      const readyAgainAt = Date.now();
      await pause(3_000);
      clearInterval(mutator);
      // Everything changed before, during and after the restart arrives.
      const caughtUpBy = Date.now() + 60_000;
      let diff = await rig.diff();
      while (diff.length > 0 && Date.now() < caughtUpBy) {
        await pause(500);
        diff = await rig.diff().catch(() => ["database not reachable yet"]);
      }
      const notReady = seen.filter((s) => s.at >= restartedAt && s.readyz !== 200);
      report("pg-restart", {
        restartMs: backAt - restartedAt,
        readyAgainAfterMs: readyAgainAt - backAt,
        notReadyProbes: notReady.length,
        probes: seen.length,
      });
      expect(notReady.length, "/readyz said not ready while PostgreSQL was down").toBeGreaterThan(0);
      expect(seen.filter((s) => s.at >= restartedAt).every((s) => s.healthz === 200)).toBe(true);
      expect(child.child.exitCode, "the runner kept running").toBeNull();
      expect(diff).toEqual([]);
    } finally {
      clearInterval(mutator);
      clearInterval(probe);
    }
    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
  });
});
