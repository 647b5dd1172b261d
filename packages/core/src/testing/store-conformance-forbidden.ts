import { at, eventIdsOf, makeRace, seedRace, T0, type StoreTest } from "./store-fixtures.js";

const MIN = 60_000;
const DENIED = { name: "ForbiddenError", code: "FORBIDDEN", message: "[test] race refused: error 7 Permission Denied", retryable: false };

/** markForbidden: the mark is kept and listed, claims skip it, discovery clears it. */
export function forbiddenTests(test: StoreTest): void {
  test("markForbidden marks the connection's links to every event of the race, and listEvents shows them", async (ctx) => {
    const [a, b] = [ctx.id("conn-a-"), ctx.id("conn-b-")];
    const race = await seedRace(ctx, makeRace(ctx, [MIN, 2 * MIN]), a);
    await seedRace(ctx, race, b);
    const other = await seedRace(ctx, makeRace(ctx, [MIN]), a);
    const marked = await ctx.store.markForbidden({
      connectionId: a,
      provider: ctx.provider,
      raceId: race.raceId,
      now: at(5),
      error: DENIED,
    });
    ctx.expect(marked.map((r) => r.eventId).sort()).toEqual(eventIdsOf(race).sort());
    const events = await ctx.store.listEvents({ provider: ctx.provider });
    for (const e of events.filter((x) => x.raceId === race.raceId)) {
      ctx.expect(e.connectionIds).toEqual([a, b].sort());
      ctx.expect(e.forbidden).toEqual([{ connectionId: a, since: at(5), error: DENIED }]);
    }
    // The key's other race and the other connection's links are untouched.
    ctx.expect(events.find((x) => x.raceId === other.raceId)?.forbidden).toEqual([]);
    // A second mark keeps the first instant.
    await ctx.store.markForbidden({
      connectionId: a,
      provider: ctx.provider,
      raceId: race.raceId,
      now: at(MIN),
      error: { ...DENIED, message: "again" },
    });
    const again = await ctx.store.listEvents({ refs: [{ provider: ctx.provider, eventId: eventIdsOf(race)[0] ?? "" }] });
    ctx.expect(again[0]?.forbidden).toEqual([{ connectionId: a, since: at(5), error: { ...DENIED, message: "again" } }]);
    // A connection that does not see the race marks nothing.
    ctx
      .expect(
        await ctx.store.markForbidden({
          connectionId: ctx.id("conn-none-"),
          provider: ctx.provider,
          raceId: race.raceId,
          now: T0,
          error: DENIED,
        }),
      )
      .toEqual([]);
  });

  test("claimDue does not claim an event through a forbidden link, but does through another connection's", async (ctx) => {
    const [a, b] = [ctx.id("conn-a-"), ctx.id("conn-b-")];
    const onlyA = await seedRace(ctx, makeRace(ctx, [MIN]), a);
    const shared = await seedRace(ctx, makeRace(ctx, [MIN]), a);
    await seedRace(ctx, shared, b);
    for (const race of [onlyA, shared]) {
      await ctx.store.markForbidden({ connectionId: a, provider: ctx.provider, raceId: race.raceId, now: T0, error: DENIED });
    }
    const claim = (owner: string, connectionIds: string[]) =>
      ctx.store.claimDue({ owner, now: T0, leaseMs: MIN, maxRaces: 10, providers: [ctx.provider], connectionIds });
    ctx.expect(await claim("x", [a])).toEqual([]);
    const forB = await claim("y", [a, b]);
    ctx.expect(forB.map((e) => e.raceId)).toEqual([shared.raceId]);
  });

  test("saveDiscovery by the connection clears its forbidden mark; another connection's discovery does not", async (ctx) => {
    const [a, b] = [ctx.id("conn-a-"), ctx.id("conn-b-")];
    const race = await seedRace(ctx, makeRace(ctx, [MIN]), a);
    await seedRace(ctx, race, b);
    await ctx.store.markForbidden({ connectionId: a, provider: ctx.provider, raceId: race.raceId, now: T0, error: DENIED });
    await seedRace(ctx, race, b, at(MIN));
    const ref = { provider: ctx.provider, eventId: eventIdsOf(race)[0] ?? "" };
    ctx.expect((await ctx.store.listEvents({ refs: [ref] }))[0]?.forbidden).toHaveLength(1);
    await seedRace(ctx, race, a, at(2 * MIN));
    ctx.expect((await ctx.store.listEvents({ refs: [ref] }))[0]?.forbidden).toEqual([]);
    const claimed = await ctx.store.claimDue({
      owner: "x",
      now: at(2 * MIN),
      leaseMs: MIN,
      maxRaces: 10,
      providers: [ctx.provider],
      connectionIds: [a],
    });
    ctx.expect(claimed.map((e) => e.eventId)).toEqual([ref.eventId]);
  });
}
