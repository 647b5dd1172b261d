import { LeaseLostError, StoreError } from "../errors.js";
import type { Registration } from "../types.js";
import { rejectionOf } from "./conformance-api.js";
import {
  at,
  eventIdsOf,
  makeRace,
  makeRegistration,
  makeRemoval,
  seedRace,
  startPass,
  storedById,
  T0,
  type StoreTest,
} from "./store-fixtures.js";

/** commitPage: atomicity, changed-rows-only upserts, removals and reconciliation. */
export function writeTests(test: StoreTest): void {
  test("a refused page (a state patch for an event outside the pass) writes nothing and moves nothing", async (ctx) => {
    const race = await seedRace(ctx, makeRace(ctx, [3_600_000, 7_200_000]));
    const [eventId, other] = eventIdsOf(race);
    if (eventId === undefined || other === undefined) throw new Error("fixture");
    const runId = await startPass(ctx, { ...race, events: race.events.slice(0, 1) }, "owner-1");
    const good = makeRegistration(race, eventId, ctx.id("good-"));
    await ctx.store.commitPage({
      owner: "owner-1",
      now: T0,
      runId,
      provider: ctx.provider,
      eventIds: [eventId],
      registrations: [good],
      backfillAfter: good.registrationId,
    });
    const fresh = makeRegistration(race, eventId, ctx.id("fresh-"));
    const error = await rejectionOf(
      ctx.store.commitPage({
        owner: "owner-1",
        now: at(1000),
        runId,
        provider: ctx.provider,
        eventIds: [eventId],
        registrations: [fresh, { ...good, bib: "999" }],
        removals: [makeRemoval(race, eventId, good.registrationId, "removed")],
        backfillAfter: fresh.registrationId,
        finish: {
          apiCalls: 3,
          states: [
            { eventId, nextDueAt: null, cursorAt: at(1000) },
            { eventId: other, nextDueAt: null },
          ],
        },
      }),
    );
    ctx.expect(error).toBeInstanceOf(StoreError);
    const rows = await ctx.store.listRegistrations({ provider: ctx.provider, eventIds: [eventId] });
    ctx.expect(rows.map((r) => [r.registrationId, r.bib, r.status])).toEqual([[good.registrationId, "101", "active"]]);
    const [event] = await ctx.store.listEvents({ refs: [{ provider: ctx.provider, eventId }] });
    ctx.expect(event?.state).toMatchObject({
      backfillAfter: good.registrationId,
      cursorAt: null,
      removalsCursorAt: null,
      backfilledAt: null,
      leaseOwner: "owner-1",
      lastSuccessAt: null,
    });
    const [run] = await ctx.store.listRuns({ eventId });
    ctx
      .expect(run)
      .toMatchObject({ id: runId, status: "running", rowsInserted: 1, rowsUpdated: 0, rowsRemoved: 0, finishedAt: null, problems: 0 });
  });

  test("the last page finishes the pass: states applied, errors cleared, leases released, run counts summed", async (ctx) => {
    const race = await seedRace(ctx, makeRace(ctx, [3_600_000, 7_200_000]));
    const [e1, e2] = eventIdsOf(race);
    if (e1 === undefined || e2 === undefined) throw new Error("fixture");
    await ctx.store.updateSchedule({
      now: T0,
      patches: [
        {
          provider: ctx.provider,
          eventId: e1,
          failures: 3,
          lastError: { name: "ProviderError", code: "PROVIDER", message: "x", retryable: true },
        },
      ],
    });
    const runId = await startPass(ctx, race, "owner-1");
    const page1 = await ctx.store.commitPage({
      owner: "owner-1",
      now: T0,
      runId,
      provider: ctx.provider,
      eventIds: [e1, e2],
      registrations: [makeRegistration(race, e1, ctx.id("a-")), makeRegistration(race, e2, ctx.id("b-"))],
      backfillAfter: "b",
    });
    ctx.expect(page1).toMatchObject({ inserted: 2, updated: 0, unchanged: 0, removed: 0 });
    const page2 = await ctx.store.commitPage({
      owner: "owner-1",
      now: at(5000),
      runId,
      provider: ctx.provider,
      eventIds: [e1, e2],
      registrations: [makeRegistration(race, e1, ctx.id("c-"))],
      finish: {
        apiCalls: 2,
        states: [
          {
            eventId: e1,
            backfilledAt: at(5000),
            backfillAfter: null,
            cursorAt: at(4000),
            nextDueAt: at(60_000),
            tier: "high",
            priority: 1,
          },
          { eventId: e2, backfilledAt: at(5000), backfillAfter: null, cursorAt: at(4000), nextDueAt: at(120_000) },
        ],
      },
    });
    ctx.expect(page2).toMatchObject({ inserted: 1 });
    const events = await ctx.store.listEvents({
      refs: [
        { provider: ctx.provider, eventId: e1 },
        { provider: ctx.provider, eventId: e2 },
      ],
    });
    const s1 = events.find((e) => e.eventId === e1)?.state;
    ctx.expect(s1).toMatchObject({
      backfilledAt: at(5000),
      backfillAfter: null,
      cursorAt: at(4000),
      nextDueAt: at(60_000),
      tier: "high",
      priority: 1,
      failures: 0,
      lastError: null,
      lastSuccessAt: at(5000),
      leaseOwner: null,
      leaseExpiresAt: null,
    });
    ctx
      .expect(events.find((e) => e.eventId === e2)?.state)
      .toMatchObject({ nextDueAt: at(120_000), leaseOwner: null, lastSuccessAt: at(5000) });
    const [run] = await ctx.store.listRuns({ eventId: e1 });
    ctx
      .expect(run)
      .toMatchObject({ id: runId, status: "succeeded", apiCalls: 2, rowsInserted: 3, finishedAt: at(5000), error: null, kind: "backfill" });
  });

  test("only changed rows are written, and an older modifiedAt never replaces a newer row", async (ctx) => {
    const race = await seedRace(ctx, makeRace(ctx));
    const eventId = race.events[0]?.eventId ?? "";
    const runId = await startPass(ctx, race, "o");
    const [a, b, c] = ["a-", "b-", "c-"].map((p) => makeRegistration(race, eventId, ctx.id(p)));
    if (a === undefined || b === undefined || c === undefined) throw new Error("fixture");
    const write = (rows: Registration[], now: Date) =>
      ctx.store.commitPage({ owner: "o", now, runId, provider: ctx.provider, eventIds: [eventId], registrations: rows });
    ctx.expect(await write([a, b, c], T0)).toMatchObject({ inserted: 3, updated: 0, unchanged: 0 });
    const newer = at(-1000);
    const result = await write(
      [
        { ...a },
        { ...b, bib: "202", modifiedAt: newer },
        { ...c, raw: { registration_id: c.registrationId, nested: { shirt: "L" } }, modifiedAt: newer },
      ],
      at(1000),
    );
    ctx.expect(result).toMatchObject({ inserted: 0, updated: 2, unchanged: 1 });
    const older = await write([{ ...b, bib: "303", modifiedAt: at(-7_200_000) }], at(2000));
    ctx.expect(older).toMatchObject({ inserted: 0, updated: 0 });
    const stored = await storedById(ctx, race);
    ctx.expect(stored.get(a.registrationId)).toMatchObject({ updatedAt: T0, firstSeenAt: T0 });
    ctx.expect(stored.get(b.registrationId)).toMatchObject({ bib: "202", modifiedAt: newer, updatedAt: at(1000), firstSeenAt: T0 });
    ctx.expect(stored.get(c.registrationId)?.raw).toEqual({ registration_id: c.registrationId, nested: { shirt: "L" } });
    const [run] = await ctx.store.listRuns({ eventId });
    ctx.expect(run).toMatchObject({ rowsInserted: 3, rowsUpdated: 2 });
  });

  test("removals set status without deleting; a transfer keeps its new id; an unknown removal is inserted", async (ctx) => {
    const race = await seedRace(ctx, makeRace(ctx));
    const eventId = race.events[0]?.eventId ?? "";
    const runId = await startPass(ctx, race, "o");
    const [a, b, c] = ["a-", "b-", "c-"].map((p) => makeRegistration(race, eventId, ctx.id(p)));
    if (a === undefined || b === undefined || c === undefined) throw new Error("fixture");
    await ctx.store.commitPage({ owner: "o", now: T0, runId, provider: ctx.provider, eventIds: [eventId], registrations: [a, b, c] });
    const unknownId = ctx.id("gone-");
    const result = await ctx.store.commitPage({
      owner: "o",
      now: at(1000),
      runId,
      provider: ctx.provider,
      eventIds: [eventId],
      removals: [
        makeRemoval(race, eventId, a.registrationId, "removed"),
        makeRemoval(race, eventId, b.registrationId, "transferred", c.registrationId),
        makeRemoval(race, eventId, unknownId, "deferred"),
      ],
    });
    ctx.expect(result.removed).toBe(3);
    const stored = await storedById(ctx, race);
    ctx.expect(stored.size).toBe(4);
    ctx
      .expect(stored.get(a.registrationId))
      .toMatchObject({ status: "removed", removedReason: "removed", newRegistrationId: null, firstName: "Ada" });
    ctx
      .expect(stored.get(b.registrationId))
      .toMatchObject({ status: "transferred", removedReason: "transferred", newRegistrationId: c.registrationId });
    ctx.expect(stored.get(c.registrationId)?.status).toBe("active");
    ctx
      .expect(stored.get(unknownId))
      .toMatchObject({ status: "deferred", removedReason: "deferred", eventId, raw: { registration_id: unknownId, reason: "deferred" } });
    const again = await ctx.store.commitPage({
      owner: "o",
      now: at(2000),
      runId,
      provider: ctx.provider,
      eventIds: [eventId],
      removals: [makeRemoval(race, eventId, a.registrationId, "removed")],
    });
    ctx.expect(again.removed).toBe(0);
    const [event] = await ctx.store.listEvents({ refs: [{ provider: ctx.provider, eventId }] });
    ctx.expect(event?.activeRegistrations).toBe(1);
  });

  test("reconciliation marks unseen active rows vanished, and a seen row comes back active", async (ctx) => {
    const race = await seedRace(ctx, makeRace(ctx));
    const eventId = race.events[0]?.eventId ?? "";
    const rows = ["a-", "b-", "c-", "d-"].map((p) => makeRegistration(race, eventId, ctx.id(p)));
    const runId = await startPass(ctx, race, "o");
    await ctx.store.commitPage({ owner: "o", now: T0, runId, provider: ctx.provider, eventIds: [eventId], registrations: rows });
    const seen = rows.slice(0, 3).map((r) => r.registrationId);
    const reconcile = await startPass(ctx, race, "o", { now: at(1000), kind: "reconcile" });
    const result = await ctx.store.commitPage({
      owner: "o",
      now: at(1000),
      runId: reconcile,
      provider: ctx.provider,
      eventIds: [eventId],
      finish: { apiCalls: 1, states: [{ eventId, lastReconciledAt: at(1000) }], vanish: { seenRegistrationIds: seen, maxShare: 0.5 } },
    });
    ctx.expect(result.vanish).toEqual({ vanished: 1, active: 4, refused: false });
    const lost = rows[3] as Registration;
    ctx.expect((await storedById(ctx, race)).get(lost.registrationId)?.status).toBe("vanished");
    const back = await startPass(ctx, race, "o", { now: at(2000), kind: "incremental" });
    const res = await ctx.store.commitPage({
      owner: "o",
      now: at(2000),
      runId: back,
      provider: ctx.provider,
      eventIds: [eventId],
      registrations: [lost],
    });
    ctx.expect(res.updated).toBe(1);
    ctx.expect((await storedById(ctx, race)).get(lost.registrationId)?.status).toBe("active");
  });

  test("reconciliation that would vanish more than maxShare marks nothing and says refused", async (ctx) => {
    const race = await seedRace(ctx, makeRace(ctx));
    const eventId = race.events[0]?.eventId ?? "";
    const rows = ["a-", "b-", "c-", "d-"].map((p) => makeRegistration(race, eventId, ctx.id(p)));
    const runId = await startPass(ctx, race, "o");
    await ctx.store.commitPage({ owner: "o", now: T0, runId, provider: ctx.provider, eventIds: [eventId], registrations: rows });
    const reconcile = await startPass(ctx, race, "o", { now: at(1000), kind: "reconcile" });
    const result = await ctx.store.commitPage({
      owner: "o",
      now: at(1000),
      runId: reconcile,
      provider: ctx.provider,
      eventIds: [eventId],
      finish: { apiCalls: 1, states: [], vanish: { seenRegistrationIds: [rows[0]?.registrationId ?? ""], maxShare: 0.5 } },
    });
    ctx.expect(result.vanish).toEqual({ vanished: 0, active: 4, refused: true });
    const statuses = [...(await storedById(ctx, race)).values()].map((r) => r.status);
    ctx.expect(statuses).toEqual(["active", "active", "active", "active"]);
  });

  test("a commit is refused with LeaseLostError once the lease is lost, and writes nothing", async (ctx) => {
    const race = await seedRace(ctx, makeRace(ctx));
    const eventId = race.events[0]?.eventId ?? "";
    const runId = await startPass(ctx, race, "slow", { leaseMs: 10_000 });
    const late = at(10_001);
    const taken = await ctx.store.claimDue({ owner: "fast", now: late, leaseMs: 60_000, maxRaces: 10, providers: [ctx.provider] });
    ctx.expect(taken.map((e) => e.eventId)).toEqual([eventId]);
    const error = await rejectionOf(
      ctx.store.commitPage({
        owner: "slow",
        now: late,
        runId,
        provider: ctx.provider,
        eventIds: [eventId],
        registrations: [makeRegistration(race, eventId, ctx.id("r-"))],
        finish: { apiCalls: 1, states: [{ eventId, nextDueAt: null }] },
      }),
    );
    ctx.expect(error).toBeInstanceOf(LeaseLostError);
    ctx.expect((error as LeaseLostError).events).toEqual([{ provider: ctx.provider, eventId }]);
    ctx.expect(await ctx.store.listRegistrations({ provider: ctx.provider })).toEqual([]);
    const [event] = await ctx.store.listEvents({ refs: [{ provider: ctx.provider, eventId }] });
    ctx.expect(event?.state).toMatchObject({ leaseOwner: "fast", nextDueAt: T0 });
  });
}
