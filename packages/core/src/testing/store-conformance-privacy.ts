import { StoreError } from "../errors.js";
import { PERSONAL_FIELDS } from "../privacy.js";
import type { StoredRegistration } from "../store.js";
import type { Race } from "../types.js";
import { rejectionOf } from "./conformance-api.js";
import {
  at,
  makeRace,
  makeRegistration,
  makeRemoval,
  seedRace,
  startPass,
  storedById,
  T0,
  type StoreTest,
  type StoreTestContext,
} from "./store-fixtures.js";

const DAY = 86_400_000;

/**
 * A race whose events start at the given instants (ends as given, or null). `anonymiseEnded`
 * works across the whole store, so each test places its events in its own era, long before any
 * other test's, and picks a cutoff in that era.
 */
function raceAt(ctx: StoreTestContext, events: readonly { startsAt: Date; endsAt?: Date }[]): Race {
  const race = makeRace(
    ctx,
    events.map(() => 0),
  );
  return {
    ...race,
    events: race.events.map((e, i) => ({ ...e, startsAt: events[i]?.startsAt ?? e.startsAt, endsAt: events[i]?.endsAt ?? null })),
  };
}

/** Writes registrations in one finished pass. */
async function write(ctx: StoreTestContext, race: Race, rows: Parameters<typeof makeRegistration>[], now = T0, owner = ctx.id("owner-")) {
  const runId = await startPass(ctx, race, owner, { now });
  return ctx.store.commitPage({
    owner,
    now,
    runId,
    provider: ctx.provider,
    eventIds: race.events.map((e) => e.eventId),
    registrations: rows.map((args) => makeRegistration(...args)),
    finish: { apiCalls: 1, states: [] },
  });
}

function expectCleared(ctx: StoreTestContext, row: StoredRegistration | undefined, now: Date): void {
  ctx.expect(row).not.toBe(undefined);
  for (const field of PERSONAL_FIELDS) ctx.expect({ field, value: row?.[field] }).toEqual({ field, value: null });
  ctx.expect(row?.raw ?? null).toBeNull();
  ctx.expect(row?.updatedAt).toEqual(now);
}

/** anonymiseEnded (retention) and forget (erasure) with its tombstones. */
export function privacyTests(test: StoreTest): void {
  test("anonymiseEnded clears personal columns and raw of ended events only, in batches, keeping ids, status and instants", async (ctx) => {
    const era = new Date("1991-03-01T00:00:00Z").getTime();
    const cutoff = new Date(era);
    const race = await seedRace(
      ctx,
      raceAt(ctx, [
        { startsAt: new Date(era - 10 * DAY) }, // ended (no end: its start counts)
        { startsAt: new Date(era - 10 * DAY), endsAt: new Date(era + DAY) }, // started long ago, ends after the cutoff
        { startsAt: new Date(era + 5 * DAY) }, // not yet
      ]),
    );
    const [ended, late, future] = race.events.map((e) => e.eventId) as [string, string, string];
    const ids = ["1", "2", "3"].map((n) => ctx.id(`r${n}-`));
    await write(ctx, race, [
      [race, ended, ids[0] as string],
      [race, ended, ids[1] as string],
      [race, ended, ids[2] as string],
      [race, late, ctx.id("late-")],
      [race, future, ctx.id("future-")],
    ]);
    await ctx.store.commitPage({
      owner: "o-rem",
      now: T0,
      runId: await startPass(ctx, race, "o-rem"),
      provider: ctx.provider,
      eventIds: race.events.map((e) => e.eventId),
      removals: [makeRemoval(race, ended, ids[2] as string, "removed")],
      finish: { apiCalls: 1, states: [] },
    });
    const before = await storedById(ctx, race);
    const now = at(DAY);
    ctx.expect(await ctx.store.anonymiseEnded({ now, endedBefore: cutoff, limit: 2 })).toEqual({ anonymised: 2 });
    ctx.expect(await ctx.store.anonymiseEnded({ now, endedBefore: cutoff, limit: 2 })).toEqual({ anonymised: 1 });
    ctx.expect(await ctx.store.anonymiseEnded({ now, endedBefore: cutoff, limit: 2 })).toEqual({ anonymised: 0 });
    const after = await storedById(ctx, race);
    for (const id of ids) {
      const row = after.get(id);
      expectCleared(ctx, row, now);
      const old = before.get(id);
      ctx
        .expect([row?.eventId, row?.raceId, row?.status, row?.registeredAt, row?.modifiedAt, row?.firstSeenAt])
        .toEqual([old?.eventId, old?.raceId, old?.status, old?.registeredAt, old?.modifiedAt, old?.firstSeenAt]);
    }
    ctx.expect(after.get(ids[2] as string)?.status).toBe("removed");
    for (const row of after.values()) if (row.eventId !== ended) ctx.expect(row.firstName).toBe("Ada");
    const [event] = await ctx.store.listEvents({ refs: [{ provider: ctx.provider, eventId: ended }] });
    ctx.expect(event?.activeRegistrations).toBe(2);
    await rejectionOf(ctx.store.anonymiseEnded({ now, endedBefore: cutoff, limit: 0 })).then((e) =>
      ctx.expect(e).toBeInstanceOf(StoreError),
    );
  });

  test("an anonymised row the provider sends again is stored and anonymised again by the next purge", async (ctx) => {
    const era = new Date("1981-03-01T00:00:00Z").getTime();
    const race = await seedRace(ctx, raceAt(ctx, [{ startsAt: new Date(era - DAY) }]));
    const eventId = race.events[0]?.eventId as string;
    const id = ctx.id("again-");
    await write(ctx, race, [[race, eventId, id]]);
    ctx.expect(await ctx.store.anonymiseEnded({ now: at(1000), endedBefore: new Date(era), limit: 10 })).toEqual({ anonymised: 1 });
    // An older copy never replaces the stored row: it stays anonymised.
    const older = await write(ctx, race, [[race, eventId, id, { modifiedAt: at(-2 * 3_600_000) }]], at(2000));
    ctx.expect(older).toMatchObject({ inserted: 0, updated: 0, unchanged: 1 });
    ctx.expect(await ctx.store.anonymiseEnded({ now: at(3000), endedBefore: new Date(era), limit: 10 })).toEqual({ anonymised: 0 });
    const again = await write(ctx, race, [[race, eventId, id]], at(4000));
    ctx.expect(again).toMatchObject({ updated: 1 });
    ctx.expect((await storedById(ctx, race)).get(id)?.lastName).toBe("Lovelace");
    ctx.expect(await ctx.store.anonymiseEnded({ now: at(5000), endedBefore: new Date(era), limit: 10 })).toEqual({ anonymised: 1 });
    expectCleared(ctx, (await storedById(ctx, race)).get(id), at(5000));
  });

  test("forget by registration clears that row only; a page bringing it back stores it and names it in returned", async (ctx) => {
    const race = await seedRace(ctx, makeRace(ctx));
    const eventId = race.events[0]?.eventId as string;
    const [gone, kept] = [ctx.id("gone-"), ctx.id("kept-")];
    await write(ctx, race, [
      [race, eventId, gone],
      [race, eventId, kept],
    ]);
    ctx.expect(await ctx.store.forget({ now: at(1000), provider: ctx.provider, registrationId: gone })).toEqual({ registrations: 1 });
    ctx.expect(await ctx.store.forget({ now: at(1500), provider: ctx.provider, registrationId: gone })).toEqual({ registrations: 1 });
    const rows = await storedById(ctx, race);
    expectCleared(ctx, rows.get(gone), at(1500));
    ctx.expect(rows.get(gone)?.status).toBe("active");
    ctx.expect(rows.get(kept)?.email).toBe("ada@example.test");
    // An unchanged copy of the kept row and a removal of the forgotten one bring nobody back.
    const quiet = await write(ctx, race, [[race, eventId, kept]], at(2000));
    ctx.expect(quiet.returned ?? []).toEqual([]);
    const owner = ctx.id("owner-");
    const removal = await ctx.store.commitPage({
      owner,
      now: at(2500),
      runId: await startPass(ctx, race, owner, { now: at(2500) }),
      provider: ctx.provider,
      eventIds: [eventId],
      removals: [makeRemoval(race, eventId, gone, "removed")],
      finish: { apiCalls: 1, states: [] },
    });
    ctx.expect(removal.returned ?? []).toEqual([]);
    ctx.expect((await storedById(ctx, race)).get(gone)?.firstName ?? null).toBeNull();
    // Newer than the removal (a store may advance modifiedAt with it).
    const back = await write(ctx, race, [[race, eventId, gone, { modifiedAt: at(1000) }]], at(3000));
    ctx.expect(back.returned).toEqual([{ registrationId: gone, userId: `u${gone}` }]);
    ctx.expect((await storedById(ctx, race)).get(gone)?.firstName).toBe("Ada");
  });

  test("forget by user clears every registration of the user and flags a new registration of that user", async (ctx) => {
    const race = await seedRace(ctx, makeRace(ctx, [DAY, 2 * DAY]));
    const [e1, e2] = race.events.map((e) => e.eventId) as [string, string];
    const user = ctx.id("user-");
    const [a, b, other] = [ctx.id("a-"), ctx.id("b-"), ctx.id("o-")];
    await write(ctx, race, [
      [race, e1, a, { userId: user }],
      [race, e2, b, { userId: user }],
      [race, e1, other],
    ]);
    ctx.expect(await ctx.store.forget({ now: at(1000), provider: ctx.provider, userId: user })).toEqual({ registrations: 2 });
    const rows = await storedById(ctx, race);
    expectCleared(ctx, rows.get(a), at(1000));
    expectCleared(ctx, rows.get(b), at(1000));
    ctx.expect(rows.get(other)?.firstName).toBe("Ada");
    const fresh = ctx.id("fresh-");
    const back = await write(
      ctx,
      race,
      [
        [race, e2, fresh, { userId: user }],
        [race, e1, other, { bib: "7" }],
      ],
      at(2000),
    );
    ctx.expect(back.returned).toEqual([{ registrationId: fresh, userId: user }]);
    // Another provider's user with the same id is somebody else.
    ctx.expect(await ctx.store.forget({ now: at(3000), provider: `${ctx.provider}-x`, userId: user })).toEqual({ registrations: 0 });
    ctx.expect((await storedById(ctx, race)).get(fresh)?.firstName).toBe("Ada");
  });

  test("a forgotten registration first seen through the removal feed is stored and named in returned", async (ctx) => {
    const race = await seedRace(ctx, makeRace(ctx));
    const eventId = race.events[0]?.eventId as string;
    const ghost = ctx.id("ghost-");
    ctx.expect(await ctx.store.forget({ now: T0, provider: ctx.provider, registrationId: ghost })).toEqual({ registrations: 0 });
    const owner = ctx.id("owner-");
    const result = await ctx.store.commitPage({
      owner,
      now: at(1000),
      runId: await startPass(ctx, race, owner, { now: at(1000) }),
      provider: ctx.provider,
      eventIds: [eventId],
      removals: [makeRemoval(race, eventId, ghost, "removed"), makeRemoval(race, eventId, ctx.id("other-"), "removed")],
      finish: { apiCalls: 1, states: [] },
    });
    ctx.expect(result.returned).toEqual([{ registrationId: ghost, userId: null }]);
    ctx.expect((await storedById(ctx, race)).get(ghost)?.status).toBe("removed");
  });

  test("forget and retention clear the problems that quote a person's bad values, run samples included", async (ctx) => {
    const era = new Date("1971-03-01T00:00:00Z").getTime();
    const race = await seedRace(ctx, raceAt(ctx, [{ startsAt: new Date(era - DAY) }]));
    const eventId = race.events[0]?.eventId as string;
    const [bad, old] = [ctx.id("bad-"), ctx.id("old-")];
    const owner = ctx.id("owner-");
    const runId = await startPass(ctx, race, owner);
    await ctx.store.commitPage({
      owner,
      now: T0,
      runId,
      provider: ctx.provider,
      eventIds: [eventId],
      registrations: [
        makeRegistration(race, eventId, bad, { dob: "1990-02-30" }),
        makeRegistration(race, eventId, old, { dob: "1991-02-30" }),
      ],
      finish: { apiCalls: 1, states: [] },
    });
    const sample = async () => ((await ctx.store.listRuns({ eventId }))[0]?.problemSample ?? []).map((p) => p.registrationId);
    ctx.expect((await sample()).sort()).toEqual([bad, old].sort());
    ctx.expect((await storedById(ctx, race)).get(bad)?.problems.length).toBe(1);
    await ctx.store.forget({ now: at(1000), provider: ctx.provider, registrationId: bad });
    ctx.expect(await sample()).toEqual([old]);
    ctx.expect((await storedById(ctx, race)).get(bad)?.problems).toEqual([]);
    await ctx.store.anonymiseEnded({ now: at(2000), endedBefore: new Date(era), limit: 10 });
    ctx.expect((await storedById(ctx, race)).get(old)?.problems).toEqual([]);
  });

  test("forget needs exactly one of registrationId and userId", async (ctx) => {
    ctx.expect(await rejectionOf(ctx.store.forget({ now: T0, provider: ctx.provider }))).toBeInstanceOf(StoreError);
    ctx
      .expect(await rejectionOf(ctx.store.forget({ now: T0, provider: ctx.provider, registrationId: "1", userId: "2" })))
      .toBeInstanceOf(StoreError);
  });
}
