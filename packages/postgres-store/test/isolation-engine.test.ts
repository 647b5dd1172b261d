import { afterAll, describe, expect, it } from "vitest";
import { createSyncEngine, secret, type Registration, type SyncEvent } from "@project88/core";
import { createScriptedAdapter, generateDataset, ManualClock, type ScriptedDatasetInput } from "@project88/core/testing";
import { createPostgresStore, type PostgresStore } from "@project88/postgres-store";
import { useTestSchema } from "./db.js";
import { settle } from "./engine-settle.js";

const db = useTestSchema("store_isolation");
const MIN = 60_000;
const HOUR = 60 * MIN;
let schemaNo = 0;
const stores: PostgresStore[] = [];

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
});

/** A fresh schema per test (inside the file's own), so tests never see each other's rows. */
async function freshStore(): Promise<{ store: PostgresStore; schema: string }> {
  const schema = `${db.get().schema}_${++schemaNo}`;
  const store = await createPostgresStore({ connectionString: db.get().connectionString, schema, poolSize: 3 });
  stores.push(store);
  return { store, schema };
}

async function setup(start: Date, dataset: ScriptedDatasetInput, connections = [{ id: "c1", token: "key-c1" }], schedule = {}) {
  const { store, schema } = await freshStore();
  const clock = new ManualClock(start);
  const adapter = createScriptedAdapter({ clock, dataset });
  const engine = createSyncEngine({
    adapters: [adapter],
    store,
    clock,
    owner: "pg-isolation",
    random: () => 0.5,
    // Simulated time against a real database clock: the skew check would refuse it.
    maxClockSkewMs: null,
    schedule,
    connections: connections.map((c) => ({ id: c.id, provider: "scripted", credentials: { token: secret(c.token) } })),
  });
  return { store, schema, clock, adapter, engine };
}

describe("smaller isolation gaps, on real PostgreSQL", () => {
  afterAll(async () => {
    for (let i = 1; i <= schemaNo; i++) await db.query(`DROP SCHEMA IF EXISTS "${db.get().schema}_${i}" CASCADE`);
  });

  it("a transfer is complete after one scheduled pass: new registration active, old one transferred", async () => {
    const start = new Date("2026-07-04T09:00:00Z");
    const { store, clock, adapter, engine } = await setup(
      start,
      generateDataset({ races: 1, base: new Date(start.getTime() + 3 * HOUR), registrationsPerEvent: 10 }),
    );
    await settle(clock, engine.runOnce());
    const [event] = await store.listEvents();
    await clock.advanceTo(event?.state.nextDueAt as Date);
    const old = adapter.dataset.registrations(["5000"])[0]!;
    const now = clock.now();
    const fresh: Registration = {
      ...old,
      registrationId: "900001",
      registeredAt: now,
      modifiedAt: now,
      raw: { registration_id: "900001" },
    };
    adapter.dataset.upsertRegistration(fresh);
    adapter.dataset.removeRegistration(old.registrationId, { reason: "transferred", at: now, newRegistrationId: "900001" });
    adapter.resetLog();
    const result = await settle(clock, engine.runOnce());
    expect(result.passes.map((p) => [p.kind, p.ok, p.inserted, p.removed])).toEqual([["incremental", true, 1, 1]]);
    expect(adapter.calls.map((c) => c.kind)).toEqual(["registrations", "removals"]);
    const regs = new Map((await store.listRegistrations({ provider: "scripted" })).map((r) => [r.registrationId, r.status]));
    expect([regs.get("900001"), regs.get(old.registrationId)]).toEqual(["active", "transferred"]);
  });

  it("one real key under two connection ids is one budget row, keyed by a digest, with no secret in it", async () => {
    const token = "sk-live-5e6f7a8b9c";
    const start = new Date("2026-07-01T06:30:00Z");
    const { schema, clock, engine } = await setup(
      start,
      generateDataset({ races: 2, base: new Date("2026-07-04T14:00:00Z"), registrationsPerEvent: 5 }),
      [
        { id: "east", token },
        { id: "west", token },
      ],
    );
    await settle(clock, engine.runOnce());
    const rows = await db.query<{ connection_key: string; doc: string }>(
      `SELECT connection_key, row_to_json(b)::text AS doc FROM "${schema}".budgets b`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.connection_key).toMatch(/^scripted:cred-[0-9a-f]{16}$/);
    expect(rows[0]?.doc).not.toContain(token);
    const status = await engine.status();
    expect(new Set(status.connections.map((c) => c.budgetKey))).toEqual(new Set([rows[0]?.connection_key]));
  });

  it("a two-day event stays in the high tier, syncing every minute, until an hour after its end", async () => {
    const startsAt = new Date("2026-07-18T08:00:00Z");
    const endsAt = new Date("2026-07-19T20:00:00Z");
    const event: SyncEvent = { provider: "scripted", eventId: "8", raceId: "80", name: "Virtual 50K", startsAt, endsAt, raw: {} };
    const { schema, clock, engine } = await setup(
      new Date("2026-07-19T12:00:00Z"),
      {
        races: [
          {
            provider: "scripted",
            raceId: "80",
            name: "Virtual Weekend",
            timezone: "UTC",
            nextDate: "2026-07-18",
            raw: {},
            events: [event],
          },
        ],
      },
      undefined,
      { discoveryLookBehindMs: 3 * 24 * HOUR },
    );
    await settle(clock, engine.runOnce());
    await clock.advance(MIN);
    await settle(clock, engine.runOnce());
    const [state] = await db.query<{ tier: string; next_due_at: Date; priority: number }>(
      `SELECT tier, next_due_at, priority FROM "${schema}".sync_state`,
    );
    expect(state).toMatchObject({ tier: "high", priority: 0 });
    expect(state?.next_due_at.getTime()).toBeLessThanOrEqual(clock.now().getTime() + MIN);
  });
});
