import { setTimeout as realDelay } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthError, createSyncEngine, secret, type EngineEvents } from "@project88/core";
import { createScriptedAdapter, generateDataset, ManualClock } from "@project88/core/testing";
import { createPostgresStore, type PostgresStore } from "@project88/postgres-store";
import { useTestSchema } from "./db.js";

const db = useTestSchema("store_revoked");
const MIN = 60_000;
let store: PostgresStore;

beforeAll(async () => {
  store = await createPostgresStore({ connectionString: db.get().connectionString, schema: db.get().schema, poolSize: 3 });
});
afterAll(async () => {
  await store?.close();
});

/** Moves the manual clock `ms` in small steps, giving PostgreSQL's round trips real time at each. */
async function run(clock: ManualClock, ms: number, stepMs = 250): Promise<void> {
  for (let left = ms; left > 0; left -= stepMs) {
    await realDelay(2);
    await clock.advance(Math.min(stepMs, left));
  }
}

describe("a revoked key in start, on real PostgreSQL", () => {
  it("the other connection's high-tier event keeps syncing every minute, and stop returns within its timeout", async () => {
    const start = new Date("2026-07-01T07:00:00Z");
    const clock = new ManualClock(start);
    const ok = generateDataset({ races: 1, base: new Date(start.getTime() + 2 * 60 * MIN), registrationsPerEvent: 5 });
    const bad = generateDataset({ seed: 2, races: 1, base: new Date(start.getTime() + 3 * 60 * MIN), registrationsPerEvent: 5 });
    // The second partner's race gets ids of its own (both datasets number from 1000/5000).
    const dataset = {
      races: [
        ...ok.races.map((r) => ({ ...r, visibleTo: ["ok"] })),
        ...bad.races.map((r) => ({
          ...r,
          raceId: "2000",
          visibleTo: ["bad"],
          events: r.events.map((e) => ({ ...e, raceId: "2000", eventId: "6000" })),
        })),
      ],
      registrations: ok.registrations,
    };
    const adapter = createScriptedAdapter({ clock, dataset });
    adapter.failOn({ connectionId: "bad", error: new AuthError("[scripted] error 6 Invalid API key"), times: Infinity });
    const engine = createSyncEngine({
      adapters: [adapter],
      store,
      clock,
      owner: "pg-revoked",
      random: () => 0.5,
      pollMs: 30_000,
      // Simulated time against a real database clock: the skew check would refuse it.
      maxClockSkewMs: null,
      connections: [
        { id: "ok", provider: "scripted", credentials: { token: secret("key-ok") } },
        { id: "bad", provider: "scripted", credentials: { token: secret("key-bad") } },
      ],
    });
    const starts: number[] = [];
    engine.on("sync:start", (p) => {
      if (p.connectionId === "ok") starts.push(clock.now().getTime());
    });
    const skipped: EngineEvents["discovery:skipped"][] = [];
    engine.on("discovery:skipped", (p) => skipped.push(p));
    await engine.start();
    await run(clock, 30 * MIN);
    // The high tier syncs every minute: about 30 passes in 30 minutes, the backfill first.
    expect(starts.length).toBeGreaterThanOrEqual(25);
    expect(starts.filter((t) => t >= start.getTime() + 25 * MIN).length).toBeGreaterThan(0);
    expect(skipped.length).toBeGreaterThan(0);
    expect(skipped.every((s) => s.connectionId === "bad" && s.pauseReason === "credentials rejected")).toBe(true);
    let stopped = false;
    const stopping = engine.stop({ timeoutMs: 5_000 }).then(() => {
      stopped = true;
    });
    for (let waited = 0; waited <= 5_000 && !stopped; waited += 250) await run(clock, 250);
    await stopping;
    expect(stopped).toBe(true);
  }, 120_000);
});
