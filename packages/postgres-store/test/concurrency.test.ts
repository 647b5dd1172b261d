import { describe, expect, it } from "vitest";
import { createPostgresStore, loadMigrations, type PostgresStore } from "@project88/postgres-store";
import { useTestSchema } from "./db.js";
import { race } from "./fixtures.js";

const db = useTestSchema("store_concurrency");
const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = new Date("2026-05-01T06:00:00Z");

/** Four stores with their own pools on one schema: four processes, as far as PostgreSQL can tell. */
async function fourClients(migrate = true): Promise<PostgresStore[]> {
  const { connectionString, schema } = db.get();
  return Promise.all([0, 1, 2, 3].map(() => createPostgresStore({ connectionString, schema, poolSize: 2, migrate })));
}

async function closeAll(stores: readonly PostgresStore[]): Promise<void> {
  await Promise.all(stores.map((s) => s.close()));
}

describe("concurrency on real PostgreSQL", () => {
  it("two migrate() calls at once both succeed and apply each migration once", async () => {
    const { connectionString } = db.get();
    const schema = `${db.get().schema}_mig`;
    const [a, b] = await Promise.all([0, 1].map(() => createPostgresStore({ connectionString, schema, migrate: false })));
    try {
      const versions = (await loadMigrations()).map((m) => m.version);
      const newest = versions.at(-1);
      const results = await Promise.all([a!.migrate(), b!.migrate()]);
      expect(results.flatMap((r) => r.applied).sort((x, y) => x - y)).toEqual(versions);
      expect(results.map((r) => r.version)).toEqual([newest, newest]);
      const rows = await db.query<{ version: number }>(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`);
      expect(rows).toEqual(versions.map((version) => ({ version })));
    } finally {
      await closeAll([a!, b!]);
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  });

  it("4 clients claiming in a loop never get the same event, and together claim every one", async () => {
    const stores = await fourClients();
    try {
      const provider = "claimtest";
      const races = Array.from({ length: 30 }, (_, i) => {
        const r = race(String(1000 + i), [`${i}a`, `${i}b`, `${i}c`]);
        return { ...r, provider, events: r.events.map((e) => ({ ...e, provider })) };
      });
      await stores[0]!.saveDiscovery({ connectionId: "c", provider, races, now: T0, newEventPriority: 0 });
      const claimed = await Promise.all(
        stores.map(async (store, i) => {
          const mine: string[] = [];
          for (;;) {
            const got = await store.claimDue({ owner: `worker-${i}`, now: T0, leaseMs: MIN, maxRaces: 2, providers: [provider] });
            if (got.length === 0) return mine;
            for (const e of got) {
              expect(e.state.leaseOwner).toBe(`worker-${i}`);
              mine.push(e.eventId);
            }
          }
        }),
      );
      const all = claimed.flat();
      expect(new Set(all).size).toBe(all.length);
      expect(all.length).toBe(90);
      // Races are not split: each race's three events went to one worker.
      for (const worker of claimed) {
        const byRace = new Map<string, number>();
        for (const id of worker) byRace.set(id.slice(0, -1), (byRace.get(id.slice(0, -1)) ?? 0) + 1);
        expect([...byRace.values()].every((n) => n === 3)).toBe(true);
      }
    } finally {
      await closeAll(stores);
    }
  });

  it("4 clients drawing from one budget never exceed it in any rolling hour, nor maxInFlight", async () => {
    const stores = await fourClients(false);
    const key = "budget-shared";
    const limits = { callsPerHour: 30, burst: 6, maxInFlight: 3 };
    try {
      // Rounds of simulated minutes over three hours; in each, all four clients draw at once and
      // hold their slots until every client has drawn, so maxInFlight is contended too.
      for (let minute = 0; minute < 180; minute += 2) {
        const now = new Date(T0.getTime() + minute * MIN);
        const takes = await Promise.all(stores.map((s, i) => s.takeBudget({ key, owner: `w${i}`, now, limits, slotTtlMs: MIN })));
        const granted = takes.filter((t) => t.granted);
        expect(granted.length).toBeLessThanOrEqual(limits.maxInFlight);
        await Promise.all(granted.map((t) => stores[0]!.releaseBudget({ key, slotId: t.granted ? t.slotId : "", now })));
      }
      const grants = await db.query<{ at: Date }>(
        `SELECT granted_at AS at FROM "${db.get().schema}".budget_grants WHERE connection_key = $1 ORDER BY granted_at`,
        [key],
      );
      const times = grants.map((g) => g.at.getTime());
      for (const t of times) {
        const inWindow = times.filter((u) => u > t - HOUR && u <= t).length;
        expect(inWindow).toBeLessThanOrEqual(limits.callsPerHour);
      }
      // The budget was actually used up to its limit, not merely under-granted.
      expect(times.filter((u) => u <= T0.getTime() + HOUR).length).toBeGreaterThanOrEqual(limits.callsPerHour - 1);
    } finally {
      await closeAll(stores);
    }
  });
});
