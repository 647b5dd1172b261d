import type { SerializedError } from "../store.js";
import { at, eventIdsOf, makeRace, makeRegistration, seedRace, startPass, T0, type StoreTest } from "./store-fixtures.js";

const FAILURE: SerializedError = { name: "ProviderError", code: "PROVIDER", message: "[scripted] race 1: HTTP 503", retryable: true };

/** startRun, failRun and listRuns. */
export function runTests(test: StoreTest): void {
  test("failRun keeps committed rows and cursors, records the failure, applies the backoff and releases leases", async (ctx) => {
    const race = await seedRace(ctx, makeRace(ctx));
    const eventId = race.events[0]?.eventId ?? "";
    const ref = { provider: ctx.provider, eventId };
    await ctx.store.updateSchedule({ now: T0, patches: [{ ...ref, cursorAt: at(-60_000) }] });
    const runId = await startPass(ctx, race, "o", { kind: "incremental" });
    const row = makeRegistration(race, eventId, ctx.id("r-"));
    await ctx.store.commitPage({
      owner: "o",
      now: T0,
      runId,
      provider: ctx.provider,
      eventIds: [eventId],
      registrations: [row],
      backfillAfter: row.registrationId,
    });
    await ctx.store.failRun({
      owner: "o",
      now: at(2000),
      runId,
      provider: ctx.provider,
      eventIds: [eventId],
      apiCalls: 2,
      error: FAILURE,
      states: [{ eventId, nextDueAt: at(32_000), failures: 1, lastError: FAILURE }],
    });
    const rows = await ctx.store.listRegistrations({ provider: ctx.provider, eventIds: [eventId] });
    ctx.expect(rows.map((r) => r.registrationId)).toEqual([row.registrationId]);
    const [event] = await ctx.store.listEvents({ refs: [ref] });
    ctx.expect(event?.state).toMatchObject({
      cursorAt: at(-60_000),
      backfillAfter: row.registrationId,
      nextDueAt: at(32_000),
      failures: 1,
      lastError: FAILURE,
      lastSuccessAt: null,
      leaseOwner: null,
      leaseExpiresAt: null,
    });
    const [run] = await ctx.store.listRuns({ eventId });
    ctx.expect(run).toMatchObject({
      id: runId,
      status: "failed",
      apiCalls: 2,
      error: FAILURE,
      finishedAt: at(2000),
      rowsInserted: 1,
      kind: "incremental",
    });
    ctx
      .expect(await ctx.store.claimDue({ owner: "b", now: at(32_000), leaseMs: 60_000, maxRaces: 1, providers: [ctx.provider] }))
      .toHaveLength(1);
  });

  test("listRuns lists newest first and filters by event and status", async (ctx) => {
    const race = await seedRace(ctx, makeRace(ctx, [3_600_000, 7_200_000]));
    const [e1, e2] = eventIdsOf(race);
    const first = await startPass(ctx, race, "o", { now: at(1000) });
    await ctx.store.failRun({
      owner: "o",
      now: at(1500),
      runId: first,
      provider: ctx.provider,
      eventIds: eventIdsOf(race),
      apiCalls: 1,
      error: FAILURE,
      states: [],
    });
    const second = await startPass(ctx, race, "o", { now: at(2000), kind: "incremental" });
    const runs = await ctx.store.listRuns({ eventId: e2 });
    ctx.expect(runs.map((r) => r.id)).toEqual([second, first]);
    ctx
      .expect(runs[0])
      .toMatchObject({ status: "running", provider: ctx.provider, raceId: race.raceId, startedAt: at(2000), finishedAt: null });
    ctx.expect([...(runs[0]?.eventIds ?? [])].sort()).toEqual([e1, e2].sort());
    ctx.expect((await ctx.store.listRuns({ eventId: e1, status: "failed" })).map((r) => r.id)).toEqual([first]);
    ctx.expect((await ctx.store.listRuns({ eventId: e1, limit: 1 })).map((r) => r.id)).toEqual([second]);
  });

  test("claimDue closes as abandoned a run left running under an expired lease, at the lease's expiry", async (ctx) => {
    const race = await seedRace(ctx, makeRace(ctx, [3_600_000, 7_200_000]));
    const [e1] = eventIdsOf(race);
    const dead = ctx.id("dead-");
    const runId = await startPass(ctx, race, dead, { now: T0, leaseMs: 60_000 });
    // Another race of the same dead owner, not due: its run is not the claimer's business.
    const other = await seedRace(ctx, makeRace(ctx, [3_600_000]));
    const otherRun = await startPass(ctx, other, dead, { now: T0, leaseMs: 60_000 });
    await ctx.store.updateSchedule({
      now: T0,
      patches: eventIdsOf(other).map((eventId) => ({ provider: ctx.provider, eventId, nextDueAt: at(10 * 3_600_000) })),
    });
    // While the lease is live, nothing is claimed and the run stays running.
    ctx
      .expect(await ctx.store.claimDue({ owner: "b", now: at(59_000), leaseMs: 60_000, maxRaces: 5, providers: [ctx.provider] }))
      .toEqual([]);
    ctx.expect((await ctx.store.listRuns({ eventId: e1 }))[0]?.status).toBe("running");
    const claimed = await ctx.store.claimDue({ owner: "b", now: at(90_000), leaseMs: 60_000, maxRaces: 5, providers: [ctx.provider] });
    ctx.expect(claimed.map((e) => e.eventId).sort()).toEqual(eventIdsOf(race).sort());
    const [run] = await ctx.store.listRuns({ eventId: e1 });
    ctx.expect(run).toMatchObject({ id: runId, status: "abandoned", finishedAt: at(60_000), error: { code: "LEASE_LOST" } });
    ctx
      .expect((await ctx.store.listRuns({ eventId: eventIdsOf(other)[0] }))[0])
      .toMatchObject({ id: otherRun, status: "running", finishedAt: null });
    ctx.expect((await ctx.store.listRuns({ eventId: e1, status: "abandoned" })).map((r) => r.id)).toEqual([runId]);
  });

  test("claimEvents closes the runs of an expired lease too, and never a run whose lease is live", async (ctx) => {
    const race = await seedRace(ctx, makeRace(ctx));
    const [e1] = eventIdsOf(race);
    const refs = eventIdsOf(race).map((eventId) => ({ provider: ctx.provider, eventId }));
    const dead = ctx.id("dead-");
    const runId = await startPass(ctx, race, dead, { now: T0, leaseMs: 60_000 });
    ctx.expect(await ctx.store.claimEvents({ owner: "b", now: at(30_000), leaseMs: 60_000, refs })).toEqual([]);
    // The holder claiming its own live lease again (a manual sync) leaves its run alone.
    ctx.expect(await ctx.store.claimEvents({ owner: dead, now: at(40_000), leaseMs: 20_000, refs })).toHaveLength(1);
    ctx.expect((await ctx.store.listRuns({ eventId: e1 }))[0]?.status).toBe("running");
    ctx.expect(await ctx.store.claimEvents({ owner: "b", now: at(61_000), leaseMs: 60_000, refs })).toHaveLength(1);
    ctx.expect((await ctx.store.listRuns({ eventId: e1 }))[0]).toMatchObject({ id: runId, status: "abandoned", finishedAt: at(60_000) });
    // A run that finished is never touched again.
    const next = await ctx.store.startRun({
      owner: "b",
      now: at(61_000),
      connectionId: "conn",
      provider: ctx.provider,
      raceId: race.raceId,
      eventIds: [e1 as string],
      kind: "incremental",
    });
    await ctx.store.commitPage({
      owner: "b",
      now: at(62_000),
      runId: next,
      provider: ctx.provider,
      eventIds: [e1 as string],
      finish: { apiCalls: 1, states: [] },
    });
    ctx.expect(await ctx.store.claimEvents({ owner: "c", now: at(200_000), leaseMs: 60_000, refs })).toHaveLength(1);
    ctx.expect((await ctx.store.listRuns({ eventId: e1 })).map((r) => r.status)).toEqual(["succeeded", "abandoned"]);
  });

  test("databaseNow, where the store has a clock, reads a valid instant that does not go back", async (ctx) => {
    const read = ctx.store.databaseNow;
    if (read === undefined) return; // optional: the engine skips its clock check
    const first = await read.call(ctx.store);
    const second = await read.call(ctx.store);
    ctx.expect(first).toBeInstanceOf(Date);
    ctx.expect(Number.isNaN(first.getTime())).toBe(false);
    ctx.expect(second.getTime()).toBeGreaterThanOrEqual(first.getTime());
  });

  test("close can be called twice", async (ctx) => {
    await ctx.store.close();
    await ctx.store.close();
  });
}
