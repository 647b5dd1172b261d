import { expect, it } from "vitest";
import { LeaseLostError, StoreError } from "@project88/core";
import { loadMigrations, type PostgresStore } from "@project88/postgres-store";
import { race, registration, removal } from "./fixtures.js";

const NOW = new Date("2026-05-01T08:00:00Z");
const later = (ms: number) => new Date(NOW.getTime() + ms);
let seq = 0;

/** Seeds a race whose events are leased by `owner`, with a run started on them. */
async function seedPass(store: PostgresStore, owner = "owner-a") {
  seq++;
  const provider = `p${seq}_${Math.random().toString(36).slice(2, 8)}`;
  const base = race("100", ["1", "2"]);
  const r = { ...base, provider, events: base.events.map((e) => ({ ...e, provider })) };
  await store.saveDiscovery({ connectionId: "c1", provider, races: [r], now: NOW, newEventPriority: 0 });
  const refs = r.events.map((e) => ({ provider, eventId: e.eventId }));
  await store.claimEvents({ owner, now: NOW, leaseMs: 60_000, refs });
  const runId = await store.startRun({
    owner,
    now: NOW,
    connectionId: "c1",
    provider,
    raceId: "100",
    eventIds: ["1", "2"],
    kind: "backfill",
  });
  const reg = (id: string, eventId: string, o = {}) => ({ ...registration(id, eventId, o), provider });
  return { provider, runId, refs, reg, rem: (id: string, eventId: string, o = {}) => ({ ...removal(id, eventId, o), provider }) };
}

/**
 * The store's own cases beyond the core conformance suite, for any driver. `store()` returns
 * the file's shared store.
 */
export function storeCases(store: () => PostgresStore): void {
  it("databaseNow reads the database server's clock (here on this host: within a few seconds of ours)", async () => {
    const before = Date.now();
    const at = await store().databaseNow();
    const after = Date.now();
    expect(at).toBeInstanceOf(Date);
    expect(at.getTime()).toBeGreaterThan(before - 5_000);
    expect(at.getTime()).toBeLessThan(after + 5_000);
  });

  it("a page with one bad field commits every row, the bad field null, and advances the backfill position", async () => {
    const s = store();
    const { provider, runId, reg } = await seedPass(s);
    await s.commitPage({
      owner: "owner-a",
      now: NOW,
      runId,
      provider,
      eventIds: ["1", "2"],
      registrations: [reg("10", "1")],
      backfillAfter: "10",
    });
    const result = await s.commitPage({
      owner: "owner-a",
      now: NOW,
      runId,
      provider,
      eventIds: ["1", "2"],
      registrations: [reg("11", "1"), reg("12", "2", { dob: "1990-02-30" }), reg("13", "2")],
      backfillAfter: "13",
    });
    expect(result).toMatchObject({ inserted: 3, problems: [{ registrationId: "12", field: "dob", skipped: false }] });
    const rows = await s.listRegistrations({ provider });
    expect(rows.map((r) => [r.registrationId, r.dob, r.problems.map((p) => p.field)])).toEqual([
      ["10", "1990-02-28", []],
      ["11", "1990-02-28", []],
      ["12", null, ["dob"]],
      ["13", "1990-02-28", []],
    ]);
    const [event] = await s.listEvents({ refs: [{ provider, eventId: "1" }] });
    expect(event?.state.backfillAfter).toBe("13");
    const [run] = await s.listRuns({ eventId: "1", limit: 1 });
    expect(run).toMatchObject({ rowsInserted: 4, problems: 1 });
  });

  it("values PostgreSQL would refuse (NUL, a lone surrogate, a non-integer age) are stored as null, the raw made storable", async () => {
    const s = store();
    const { provider, runId, reg } = await seedPass(s);
    const result = await s.commitPage({
      owner: "owner-a",
      now: NOW,
      runId,
      provider,
      eventIds: ["1", "2"],
      registrations: [
        reg("50", "1"),
        reg("51", "1", { city: "Den\u0000ver", raw: { city: "Den\u0000ver", "k\u0000": 1 } }),
        reg("52", "1", { raw: { name: "x\ud800" } }),
        reg("53", "1", { age: 36.5 }),
        // Emoji (a proper surrogate pair) is fine.
        reg("54", "1", { firstName: "Ada 🏃", raw: { name: "🏃" } }),
      ],
    });
    expect(result.problems?.map((p) => [p.registrationId, p.field])).toEqual([
      ["51", "city"],
      ["51", "raw"],
      ["52", "raw"],
      ["53", "age"],
    ]);
    const rows = await s.listRegistrations({ provider });
    expect(rows.map((r) => [r.registrationId, r.firstName, r.city, r.age, r.raw])).toEqual([
      ["50", "Ada", "Boulder", 36, expect.anything()],
      ["51", "Ada", null, 36, { city: "Den\ufffdver", "k\ufffd": 1 }],
      ["52", "Ada", "Boulder", 36, { name: "x\ufffd" }],
      ["53", "Ada", "Boulder", null, expect.anything()],
      ["54", "Ada 🏃", "Boulder", 36, { name: "🏃" }],
    ]);
  });

  it("a commit after the lease passed to another owner throws LeaseLostError and writes nothing", async () => {
    const s = store();
    const { provider, runId, refs, reg } = await seedPass(s);
    const taken = await s.claimEvents({ owner: "owner-b", now: later(61_000), leaseMs: 60_000, refs });
    expect(taken).toHaveLength(2);
    const lost = s.commitPage({
      owner: "owner-a",
      now: later(62_000),
      runId,
      provider,
      eventIds: ["1", "2"],
      registrations: [reg("20", "1")],
    });
    await expect(lost).rejects.toBeInstanceOf(LeaseLostError);
    expect(await s.listRegistrations({ provider })).toEqual([]);
    expect(await s.renewLeases({ owner: "owner-a", now: later(62_000), leaseMs: 60_000, refs })).toEqual(refs);
  });

  it("raw rows with line breaks, tabs, backslashes and line separators each land on their own row; a missing raw is JSON null", async () => {
    const s = store();
    const { provider, runId, reg } = await seedPass(s);
    const raws: Record<string, unknown> = {
      "60": { note: "two\nlines\r\nand\ttab", path: "C:\\race\\n", sep: "a\u2028b\u2029c" },
      "61": undefined,
      "62": ["\n", "\\n", { "key\nwith break": 1.5 }],
      "63": "just a string\n",
    };
    const rows = Object.entries(raws).map(([id, raw]) => reg(id, "1", { raw }));
    const first = await s.commitPage({ owner: "owner-a", now: NOW, runId, provider, eventIds: ["1", "2"], registrations: rows });
    expect(first).toMatchObject({ inserted: 4, updated: 0 });
    const stored = await s.listRegistrations({ provider });
    expect(stored.map((r) => [r.registrationId, r.raw])).toEqual(Object.entries(raws).map(([id, raw]) => [id, raw ?? null]));
    const again = await s.commitPage({ owner: "owner-a", now: later(1000), runId, provider, eventIds: ["1", "2"], registrations: rows });
    expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: 4 });
  });

  it("re-sending unchanged rows writes nothing; an older modifiedAt never replaces a newer one", async () => {
    const s = store();
    const { provider, runId, reg } = await seedPass(s);
    const rows = [reg("30", "1"), reg("31", "1")];
    await s.commitPage({ owner: "owner-a", now: NOW, runId, provider, eventIds: ["1", "2"], registrations: rows });
    const again = await s.commitPage({ owner: "owner-a", now: later(1000), runId, provider, eventIds: ["1", "2"], registrations: rows });
    expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: 2 });
    const older = reg("30", "1", { bib: "999", modifiedAt: new Date("2025-01-01T00:00:00Z") });
    const newer = reg("31", "1", { bib: "42", modifiedAt: new Date("2026-03-01T00:00:00Z") });
    const mixed = await s.commitPage({
      owner: "owner-a",
      now: later(2000),
      runId,
      provider,
      eventIds: ["1", "2"],
      registrations: [older, newer],
    });
    expect(mixed).toMatchObject({ inserted: 0, updated: 1, unchanged: 1 });
    const stored = await s.listRegistrations({ provider });
    expect(stored.map((r) => [r.registrationId, r.bib, r.updatedAt.getTime()])).toEqual([
      ["30", null, NOW.getTime()],
      ["31", "42", later(2000).getTime()],
    ]);
  });

  it("a removal changes status and keeps the row; a stale removal does not undo a newer re-registration", async () => {
    const s = store();
    const { provider, runId, reg, rem } = await seedPass(s);
    await s.commitPage({ owner: "owner-a", now: NOW, runId, provider, eventIds: ["1", "2"], registrations: [reg("40", "1")] });
    const r1 = await s.commitPage({
      owner: "owner-a",
      now: later(1000),
      runId,
      provider,
      eventIds: ["1", "2"],
      removals: [rem("40", "1", { reason: "transferred", newRegistrationId: "41" }), rem("49", "2", { reason: "deferred" })],
    });
    expect(r1.removed).toBe(2);
    const byId = new Map((await s.listRegistrations({ provider })).map((r) => [r.registrationId, r]));
    expect(byId.get("40")).toMatchObject({
      status: "transferred",
      removedReason: "transferred",
      newRegistrationId: "41",
      firstName: "Ada",
    });
    expect(byId.get("49")).toMatchObject({ status: "deferred", raw: { registration_id: "49", removed: "T" } });
    // The registration comes back with a newer modification; the old removal row, re-read
    // through the feed's overlap, must not flip it back.
    await s.commitPage({
      owner: "owner-a",
      now: later(2000),
      runId,
      provider,
      eventIds: ["1", "2"],
      registrations: [reg("40", "1", { modifiedAt: new Date("2026-04-01T00:00:00Z") })],
    });
    const stale = await s.commitPage({
      owner: "owner-a",
      now: later(3000),
      runId,
      provider,
      eventIds: ["1", "2"],
      removals: [rem("40", "1", { reason: "transferred", newRegistrationId: "41" })],
    });
    expect(stale.removed).toBe(0);
    expect((await s.listRegistrations({ provider, eventIds: ["1"] }))[0]).toMatchObject({ status: "active", removedReason: null });
  });

  it("unknown run and discovery ids are refused with a StoreError, not silently ignored", async () => {
    const s = store();
    const error = { name: "ProviderError", code: "PROVIDER", message: "boom", retryable: true };
    for (const runId of ["999999999", "not-a-number"]) {
      await expect(s.failRun({ owner: "o", now: NOW, runId, provider: "p", eventIds: [], apiCalls: 0, error, states: [] })).rejects.toThrow(
        /run .* is unknown/,
      );
    }
    await expect(
      s.finishDiscovery({ id: "x1", now: NOW, status: "succeeded", races: 0, newEvents: 0, apiCalls: 0 }),
    ).rejects.toBeInstanceOf(StoreError);
  });

  it("migrate is idempotent and refuses a schema migrated by a newer version", async () => {
    const s = store();
    const newest = (await loadMigrations()).at(-1)?.version;
    expect(await s.migrate()).toEqual({ applied: [], version: newest });
  });
}
