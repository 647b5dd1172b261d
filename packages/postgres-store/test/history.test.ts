import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresStore, type PostgresStore } from "@project88/postgres-store";
import { useTestSchema } from "./db.js";
import { race, registration, removal } from "./fixtures.js";

const DAY = 86_400_000;
const NOW = new Date("2026-05-01T08:00:00Z");
const later = (ms: number) => new Date(NOW.getTime() + ms);

const db = useTestSchema("store_history");
let store: PostgresStore;
let seq = 0;

beforeAll(async () => {
  store = await createPostgresStore({ connectionString: db.get().connectionString, schema: db.get().schema, poolSize: 2 });
});
afterAll(async () => {
  await store?.close();
});

/** A race of events "1" and "2" under a fresh provider, leased by "o", with a run started at `now`. */
async function seedPass(now = NOW) {
  seq++;
  const provider = `h${seq}_${Math.random().toString(36).slice(2, 8)}`;
  const base = race("100", ["1", "2"]);
  const r = { ...base, provider, events: base.events.map((e) => ({ ...e, provider })) };
  await store.saveDiscovery({ connectionId: "c1", provider, races: [r], now, newEventPriority: 0 });
  const refs = r.events.map((e) => ({ provider, eventId: e.eventId }));
  await store.claimEvents({ owner: "o", now, leaseMs: 400 * DAY, refs });
  const runId = await store.startRun({
    owner: "o",
    now,
    connectionId: "c1",
    provider,
    raceId: "100",
    eventIds: ["1", "2"],
    kind: "backfill",
  });
  const reg = (id: string, eventId: string, o = {}) => ({ ...registration(id, eventId, o), provider });
  const rem = (id: string, eventId: string, o = {}) => ({ ...removal(id, eventId, o), provider });
  return { provider, runId, reg, rem };
}

/** The trigger-kept counts against a count of the registrations themselves. */
async function countsOf(provider: string) {
  const s = db.get().schema;
  const kept = await db.query<{ event_id: string; active: number; total: number }>(
    `SELECT event_id, active, total FROM "${s}".event_counts WHERE provider = $1 AND total <> 0 ORDER BY event_id`,
    [provider],
  );
  const counted = await db.query<{ event_id: string; active: number; total: number }>(
    `SELECT event_id, (count(*) FILTER (WHERE status = 'active'))::int AS active, count(*)::int AS total
     FROM "${s}".registrations WHERE provider = $1 GROUP BY event_id ORDER BY event_id`,
    [provider],
  );
  return { kept, counted };
}

describe("event counts and history retention on PostgreSQL", () => {
  it("event_counts follows inserts, upserts, removals, returns, moves between events and deletes", async () => {
    const { provider, runId, reg, rem } = await seedPass();
    const commit = (now: Date, page: { registrations?: ReturnType<typeof reg>[]; removals?: ReturnType<typeof rem>[] }) =>
      store.commitPage({ owner: "o", now, runId, provider, eventIds: ["1", "2"], ...page });
    await commit(NOW, { registrations: [reg("10", "1"), reg("11", "1"), reg("12", "2")] });
    expect((await countsOf(provider)).kept).toEqual([
      { event_id: "1", active: 2, total: 2 },
      { event_id: "2", active: 1, total: 1 },
    ]);
    // An update of an ordinary column, a removal, and a registration moved to the other event.
    const newer = new Date("2026-02-01T00:00:00Z");
    await commit(later(1000), {
      registrations: [reg("10", "1", { bib: "7", modifiedAt: newer }), reg("11", "2", { modifiedAt: newer })],
      removals: [rem("12", "2")],
    });
    await commit(later(2000), { removals: [rem("99", "1")] });
    let { kept, counted } = await countsOf(provider);
    expect(kept).toEqual(counted);
    expect(kept).toEqual([
      { event_id: "1", active: 1, total: 2 },
      { event_id: "2", active: 1, total: 2 },
    ]);
    // A row deleted by hand (an operator's clean-up) leaves its count too.
    await db.query(`DELETE FROM "${db.get().schema}".registrations WHERE provider = $1 AND registration_id = '11'`, [provider]);
    ({ kept, counted } = await countsOf(provider));
    expect(kept).toEqual(counted);
    const [event] = await store.listEvents({ refs: [{ provider, eventId: "2" }] });
    expect(event?.activeRegistrations).toBe(0);
  });

  it("prunes old status changes in batches into the event's summary, and keeps recent ones", async () => {
    const { provider, runId, reg, rem } = await seedPass();
    const s = db.get().schema;
    await store.commitPage({
      owner: "o",
      now: NOW,
      runId,
      provider,
      eventIds: ["1", "2"],
      registrations: [reg("20", "1"), reg("21", "1"), reg("22", "2")],
    });
    await store.commitPage({ owner: "o", now: NOW, runId, provider, eventIds: ["1", "2"], removals: [rem("20", "1"), rem("21", "1")] });
    await store.commitPage({
      owner: "o",
      now: later(200 * DAY),
      runId,
      provider,
      eventIds: ["1", "2"],
      removals: [rem("22", "2")],
      finish: { apiCalls: 1, states: [] },
    });
    const changes = () =>
      db.query<{ registration_id: string }>(
        `SELECT registration_id FROM "${s}".registration_status_changes WHERE provider = $1 ORDER BY registration_id`,
        [provider],
      );
    expect((await changes()).map((r) => r.registration_id)).toEqual(["20", "21", "22"]);
    const cutoff = later(100 * DAY);
    const first = await store.pruneHistory({ now: later(201 * DAY), runsBefore: null, statusChangesBefore: cutoff, batchSize: 1 });
    expect(first).toEqual({ runs: 0, statusChanges: 1 });
    await store.pruneHistory({ now: later(201 * DAY), runsBefore: null, statusChangesBefore: cutoff, batchSize: 100 });
    expect((await changes()).map((r) => r.registration_id)).toEqual(["22"]);
    expect(await store.listHistorySummaries({ provider })).toMatchObject([{ eventId: "1", statusChanges: 2, runs: 0 }]);
    // The registrations themselves are untouched: pruning history never deletes a row a sync wrote.
    expect((await store.listRegistrations({ provider })).map((r) => [r.registrationId, r.status])).toEqual([
      ["20", "removed"],
      ["21", "removed"],
      ["22", "removed"],
    ]);
  });
});
