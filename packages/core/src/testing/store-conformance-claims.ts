import { at, eventIdsOf, makeRace, seedRace, T0, type StoreTest } from "./store-fixtures.js";

const MIN = 60_000;

/** claimDue order and disjointness, claimEvents, lease renewal and release, updateSchedule. */
export function claimTests(test: StoreTest): void {
  test("claimDue picks races by lowest priority then earliest due, and claims every due event of each", async (ctx) => {
    const [urgent, early, late] = [makeRace(ctx, [MIN, 2 * MIN, 3 * MIN]), makeRace(ctx, [MIN]), makeRace(ctx, [MIN])];
    for (const race of [urgent, early, late]) await seedRace(ctx, race);
    const [u1, u2, u3] = eventIdsOf(urgent);
    const p = ctx.provider;
    await ctx.store.updateSchedule({
      now: T0,
      patches: [
        { provider: p, eventId: u1 ?? "", priority: 5, nextDueAt: at(-1000) },
        { provider: p, eventId: u2 ?? "", priority: 1, nextDueAt: at(-10) },
        { provider: p, eventId: u3 ?? "", priority: 0, nextDueAt: at(MIN) },
        { provider: p, eventId: early.events[0]?.eventId ?? "", priority: 2, nextDueAt: at(-5000) },
        { provider: p, eventId: late.events[0]?.eventId ?? "", priority: 2, nextDueAt: at(-10) },
      ],
    });
    const first = await ctx.store.claimDue({ owner: "a", now: T0, leaseMs: MIN, maxRaces: 2, providers: [p] });
    // u3 is not due yet: it stays behind although its race was chosen.
    ctx.expect(first.map((e) => e.eventId).sort()).toEqual([u1, u2, early.events[0]?.eventId].sort());
    for (const event of first) ctx.expect(event.state).toMatchObject({ leaseOwner: "a", leaseExpiresAt: at(MIN) });
    const second = await ctx.store.claimDue({ owner: "b", now: T0, leaseMs: MIN, maxRaces: 2, providers: [p] });
    ctx.expect(second.map((e) => e.eventId)).toEqual([late.events[0]?.eventId]);
    ctx.expect(await ctx.store.claimDue({ owner: "c", now: T0, leaseMs: MIN, maxRaces: 2, providers: [p] })).toEqual([]);
  });

  test("events not due, or due never (nextDueAt null), and other providers are not claimed", async (ctx) => {
    const race = await seedRace(ctx, makeRace(ctx, [MIN, 2 * MIN]));
    const [e1, e2] = eventIdsOf(race);
    await ctx.store.updateSchedule({
      now: T0,
      patches: [
        { provider: ctx.provider, eventId: e1 ?? "", nextDueAt: null },
        { provider: ctx.provider, eventId: e2 ?? "", nextDueAt: at(1) },
      ],
    });
    ctx.expect(await ctx.store.claimDue({ owner: "a", now: T0, leaseMs: MIN, maxRaces: 5, providers: [ctx.provider] })).toEqual([]);
    ctx.expect(await ctx.store.claimDue({ owner: "a", now: at(1), leaseMs: MIN, maxRaces: 5, providers: [ctx.id("other-")] })).toEqual([]);
    const due = await ctx.store.claimDue({ owner: "a", now: at(1), leaseMs: MIN, maxRaces: 5, providers: [ctx.provider] });
    ctx.expect(due.map((e) => e.eventId)).toEqual([e2]);
  });

  test("claimDue with alongWithinMs brings along a chosen race's events falling due soon, and chooses races by what is due now", async (ctx) => {
    const [chosen, notYet] = [makeRace(ctx, [MIN, 2 * MIN, 3 * MIN]), makeRace(ctx, [MIN])];
    for (const race of [chosen, notYet]) await seedRace(ctx, race);
    const [c1, c2, c3] = eventIdsOf(chosen);
    const p = ctx.provider;
    await ctx.store.updateSchedule({
      now: T0,
      patches: [
        { provider: p, eventId: c1 ?? "", priority: 2, nextDueAt: at(-5) },
        // More urgent, but not due yet: it comes along, and does not make its race more urgent.
        { provider: p, eventId: c2 ?? "", priority: 0, nextDueAt: at(20_000) },
        { provider: p, eventId: c3 ?? "", priority: 0, nextDueAt: at(5 * MIN) },
        { provider: p, eventId: notYet.events[0]?.eventId ?? "", priority: 0, nextDueAt: at(10_000) },
      ],
    });
    const claim = (owner: string, alongWithinMs?: number) =>
      ctx.store.claimDue({ owner, now: T0, leaseMs: MIN, maxRaces: 5, providers: [p], alongWithinMs });
    const got = await claim("a", 30_000);
    ctx.expect(got.map((e) => e.eventId).sort()).toEqual([c1, c2].sort());
    await ctx.store.releaseLeases({ owner: "a", now: T0, refs: got.map((e) => ({ provider: p, eventId: e.eventId })) });
    // Without it, only what is due.
    ctx.expect((await claim("b")).map((e) => e.eventId)).toEqual([c1]);
  });

  test("claimDue with connectionIds claims only events those connections see", async (ctx) => {
    const [a, b] = [ctx.id("conn-a-"), ctx.id("conn-b-")];
    const onlyA = await seedRace(ctx, makeRace(ctx, [MIN]), a);
    const onlyB = await seedRace(ctx, makeRace(ctx, [MIN]), b);
    const shared = await seedRace(ctx, makeRace(ctx, [MIN]), a);
    await seedRace(ctx, shared, b);
    const claim = (owner: string, connectionIds: string[]) =>
      ctx.store.claimDue({ owner, now: T0, leaseMs: MIN, maxRaces: 10, providers: [ctx.provider], connectionIds });
    const forB = await claim("x", [b]);
    ctx.expect(forB.map((e) => e.raceId).sort()).toEqual([onlyB.raceId, shared.raceId].sort());
    ctx.expect(await claim("y", [ctx.id("conn-none-")])).toEqual([]);
    const forA = await claim("y", [a, b]);
    ctx.expect(forA.map((e) => e.raceId)).toEqual([onlyA.raceId]);
  });

  test("two concurrent claimDue calls never return the same event", async (ctx) => {
    const races = Array.from({ length: 6 }, () => makeRace(ctx, [MIN, 2 * MIN]));
    for (const race of races) await seedRace(ctx, race);
    const all = races.flatMap(eventIdsOf).sort();
    const claim = (owner: string) => ctx.store.claimDue({ owner, now: T0, leaseMs: MIN, maxRaces: 4, providers: [ctx.provider] });
    const [a, b, c] = await Promise.all([claim("a"), claim("b"), claim("c")]);
    const ids = [...(a ?? []), ...(b ?? []), ...(c ?? [])].map((e) => e.eventId);
    ctx.expect(new Set(ids).size).toBe(ids.length);
    ctx.expect([...ids].sort()).toEqual(all);
  });

  test("a held lease is never claimed; an expired one is", async (ctx) => {
    const race = await seedRace(ctx, makeRace(ctx));
    const ref = { provider: ctx.provider, eventId: race.events[0]?.eventId ?? "" };
    ctx.expect(await ctx.store.claimEvents({ owner: "a", now: T0, leaseMs: MIN, refs: [ref] })).toHaveLength(1);
    ctx
      .expect(await ctx.store.claimDue({ owner: "b", now: at(MIN - 1), leaseMs: MIN, maxRaces: 5, providers: [ctx.provider] }))
      .toEqual([]);
    ctx.expect(await ctx.store.claimEvents({ owner: "b", now: at(MIN - 1), leaseMs: MIN, refs: [ref] })).toEqual([]);
    const taken = await ctx.store.claimDue({ owner: "b", now: at(MIN), leaseMs: MIN, maxRaces: 5, providers: [ctx.provider] });
    ctx.expect(taken.map((e) => [e.eventId, e.state.leaseOwner])).toEqual([[ref.eventId, "b"]]);
  });

  test("claimEvents leases events that are not due", async (ctx) => {
    const race = await seedRace(ctx, makeRace(ctx));
    const ref = { provider: ctx.provider, eventId: race.events[0]?.eventId ?? "" };
    await ctx.store.updateSchedule({ now: T0, patches: [{ ...ref, nextDueAt: at(10 * MIN) }] });
    const claimed = await ctx.store.claimEvents({ owner: "a", now: T0, leaseMs: MIN, refs: [ref] });
    ctx.expect(claimed.map((e) => e.state)).toMatchObject([{ leaseOwner: "a", leaseExpiresAt: at(MIN), nextDueAt: at(10 * MIN) }]);
  });

  test("renewLeases extends held leases and reports the lost ones", async (ctx) => {
    const race = await seedRace(ctx, makeRace(ctx, [MIN, 2 * MIN]));
    const [r1, r2] = race.events.map((e) => ({ provider: ctx.provider, eventId: e.eventId }));
    if (r1 === undefined || r2 === undefined) throw new Error("fixture");
    await ctx.store.claimEvents({ owner: "a", now: T0, leaseMs: MIN, refs: [r1, r2] });
    ctx.expect(await ctx.store.renewLeases({ owner: "a", now: at(30_000), leaseMs: MIN, refs: [r1, r2] })).toEqual([]);
    // Renewed until 90 s: another owner cannot take them at 60 s.
    ctx.expect(await ctx.store.claimDue({ owner: "b", now: at(MIN), leaseMs: MIN, maxRaces: 5, providers: [ctx.provider] })).toEqual([]);
    await ctx.store.releaseLeases({ owner: "a", now: at(MIN), refs: [r2] });
    ctx.expect(await ctx.store.claimEvents({ owner: "b", now: at(MIN), leaseMs: MIN, refs: [r2] })).toHaveLength(1);
    ctx.expect(await ctx.store.renewLeases({ owner: "a", now: at(MIN + 1), leaseMs: MIN, refs: [r1, r2] })).toEqual([r2]);
    ctx.expect(await ctx.store.renewLeases({ owner: "a", now: at(3 * MIN), leaseMs: MIN, refs: [r1] })).toEqual([r1]);
  });

  test("releaseLeases frees the lease and changes nothing else; another owner's lease is not released", async (ctx) => {
    const race = await seedRace(ctx, makeRace(ctx));
    const ref = { provider: ctx.provider, eventId: race.events[0]?.eventId ?? "" };
    const [before] = await ctx.store.claimEvents({ owner: "a", now: T0, leaseMs: MIN, refs: [ref] });
    await ctx.store.releaseLeases({ owner: "b", now: T0, refs: [ref] });
    ctx.expect(await ctx.store.claimEvents({ owner: "b", now: T0, leaseMs: MIN, refs: [ref] })).toEqual([]);
    await ctx.store.releaseLeases({ owner: "a", now: at(1000), refs: [ref] });
    const [after] = await ctx.store.listEvents({ refs: [ref] });
    ctx.expect(after?.state).toEqual({ ...before?.state, leaseOwner: null, leaseExpiresAt: null });
    ctx
      .expect(await ctx.store.claimDue({ owner: "b", now: at(1000), leaseMs: MIN, maxRaces: 5, providers: [ctx.provider] }))
      .toHaveLength(1);
  });

  test("updateSchedule sets only the given fields", async (ctx) => {
    const race = await seedRace(ctx, makeRace(ctx), undefined, T0, 4);
    const ref = { provider: ctx.provider, eventId: race.events[0]?.eventId ?? "" };
    await ctx.store.updateSchedule({
      now: T0,
      patches: [{ ...ref, tier: "medium", nextDueAt: at(15 * MIN), reconcileDueAt: at(86_400_000), removalsDueAt: at(MIN) }],
    });
    const [event] = await ctx.store.listEvents({ refs: [ref] });
    ctx.expect(event?.state).toMatchObject({
      tier: "medium",
      nextDueAt: at(15 * MIN),
      reconcileDueAt: at(86_400_000),
      removalsDueAt: at(MIN),
      priority: 4,
      backfilledAt: null,
    });
  });
}
