import { at, eventIdsOf, makeRace, makeRegistration, seedRace, startPass, T0, type StoreTest } from "./store-fixtures.js";

const HOUR = 3_600_000;

/** saveDiscovery, listEvents, updateSchedule and the discovery ledger. */
export function discoveryTests(test: StoreTest): void {
  test("saveDiscovery reports new races and events; a new event is due at once and not backfilled", async (ctx) => {
    const race = makeRace(ctx, [2 * HOUR, 3 * HOUR]);
    const conn = ctx.id("conn-");
    const diff = await ctx.store.saveDiscovery({ connectionId: conn, provider: ctx.provider, races: [race], now: T0, newEventPriority: 7 });
    ctx.expect(diff.newRaces).toEqual([race.raceId]);
    ctx.expect([...diff.newEvents].sort((a, b) => (a.eventId < b.eventId ? -1 : 1))).toEqual(
      eventIdsOf(race)
        .sort()
        .map((eventId) => ({ provider: ctx.provider, eventId })),
    );
    ctx.expect(diff.changedEvents).toEqual([]);
    const events = await ctx.store.listEvents({ provider: ctx.provider });
    ctx.expect(events).toHaveLength(2);
    for (const event of events) {
      ctx.expect(event).toMatchObject({
        raceId: race.raceId,
        raceName: race.name,
        timezone: race.timezone,
        connectionIds: [conn],
        activeRegistrations: 0,
      });
      ctx
        .expect(event.state)
        .toMatchObject({ nextDueAt: T0, backfilledAt: null, priority: 7, failures: 0, leaseOwner: null, cursorAt: null });
    }
    ctx.expect(events.find((e) => e.eventId === race.events[0]?.eventId)?.startsAt).toEqual(at(2 * HOUR));
  });

  test("saveDiscovery of a known race reports only moved starts and keeps the sync state", async (ctx) => {
    const race = await seedRace(ctx, makeRace(ctx, [2 * HOUR, 3 * HOUR]));
    const [first, second] = race.events;
    if (first === undefined || second === undefined) throw new Error("fixture");
    await ctx.store.updateSchedule({
      now: T0,
      patches: [{ provider: ctx.provider, eventId: first.eventId, nextDueAt: at(HOUR), tier: "low", cursorAt: at(-HOUR) }],
    });
    const moved = { ...race, events: [{ ...first, startsAt: at(5 * HOUR) }, second] };
    const diff = await ctx.store.saveDiscovery({
      connectionId: ctx.id("conn-"),
      provider: ctx.provider,
      races: [moved],
      now: at(1000),
      newEventPriority: 0,
    });
    ctx.expect(diff.newRaces).toEqual([]);
    ctx.expect(diff.newEvents).toEqual([]);
    ctx
      .expect(diff.changedEvents)
      .toEqual([{ ref: { provider: ctx.provider, eventId: first.eventId }, previousStartsAt: at(2 * HOUR), startsAt: at(5 * HOUR) }]);
    const [stored] = await ctx.store.listEvents({ refs: [{ provider: ctx.provider, eventId: first.eventId }] });
    ctx.expect(stored?.startsAt).toEqual(at(5 * HOUR));
    ctx.expect(stored?.state).toMatchObject({ nextDueAt: at(HOUR), tier: "low", cursorAt: at(-HOUR) });
  });

  test("an event seen through two connections lists both; listEvents filters by refs and counts active rows", async (ctx) => {
    const race = makeRace(ctx, [HOUR, 2 * HOUR]);
    const [a, b] = [ctx.id("conn-a-"), ctx.id("conn-b-")];
    await seedRace(ctx, race, a);
    await seedRace(ctx, race, b);
    const [first] = race.events;
    if (first === undefined) throw new Error("fixture");
    const listed = await ctx.store.listEvents({ refs: [{ provider: ctx.provider, eventId: first.eventId }] });
    ctx.expect(listed).toHaveLength(1);
    ctx.expect([...(listed[0]?.connectionIds ?? [])].sort()).toEqual([a, b].sort());
    const runId = await startPass(ctx, race, "owner-1");
    const rows = ["1", "2", "3"].map((n) => makeRegistration(race, first.eventId, ctx.id(`r${n}-`)));
    await ctx.store.commitPage({
      owner: "owner-1",
      now: T0,
      runId,
      provider: ctx.provider,
      eventIds: eventIdsOf(race),
      registrations: rows,
    });
    const [counted] = await ctx.store.listEvents({ refs: [{ provider: ctx.provider, eventId: first.eventId }] });
    ctx.expect(counted?.activeRegistrations).toBe(3);
  });

  test("beginDiscovery admits one caller per connection and slot", async (ctx) => {
    const conn = ctx.id("conn-");
    const slot = at(-6 * HOUR);
    const first = await ctx.store.beginDiscovery({ connectionId: conn, slot, owner: "a", now: T0, leaseMs: 60_000 });
    ctx.expect(typeof first).toBe("string");
    ctx.expect(await ctx.store.beginDiscovery({ connectionId: conn, slot, owner: "b", now: at(1000), leaseMs: 60_000 })).toBeNull();
    // Another connection is not held up.
    ctx
      .expect(await ctx.store.beginDiscovery({ connectionId: ctx.id("conn-"), slot, owner: "b", now: at(1000), leaseMs: 60_000 }))
      .not.toBeNull();
    await ctx.store.finishDiscovery({ id: first as string, now: at(2000), status: "succeeded", races: 3, newEvents: 2, apiCalls: 4 });
    ctx.expect(await ctx.store.beginDiscovery({ connectionId: conn, slot, owner: "b", now: at(3000), leaseMs: 60_000 })).toBeNull();
    ctx
      .expect(await ctx.store.beginDiscovery({ connectionId: conn, slot: at(-18 * HOUR), owner: "b", now: at(3000), leaseMs: 60_000 }))
      .toBeNull();
    const [last] = await ctx.store.lastDiscoveries({ connectionIds: [conn] });
    ctx.expect(last).toMatchObject({
      id: first,
      connectionId: conn,
      slot,
      status: "succeeded",
      races: 3,
      newEvents: 2,
      apiCalls: 4,
      finishedAt: at(2000),
      error: null,
    });
    const next = await ctx.store.beginDiscovery({ connectionId: conn, slot: at(6 * HOUR), owner: "b", now: at(6 * HOUR), leaseMs: 60_000 });
    ctx.expect(typeof next).toBe("string");
    ctx.expect(next).not.toBe(first);
  });

  test("a failed or abandoned discovery lets the slot be tried again", async (ctx) => {
    const conn = ctx.id("conn-");
    const slot = at(0);
    const first = await ctx.store.beginDiscovery({ connectionId: conn, slot, owner: "a", now: T0, leaseMs: 60_000 });
    await ctx.store.finishDiscovery({
      id: first as string,
      now: at(1000),
      status: "failed",
      races: 0,
      newEvents: 0,
      apiCalls: 1,
      error: { name: "ProviderError", code: "PROVIDER", message: "[p] 503", retryable: true },
    });
    const [failed] = await ctx.store.lastDiscoveries({ connectionIds: [conn] });
    ctx.expect(failed).toMatchObject({ status: "failed", error: { code: "PROVIDER", message: "[p] 503" } });
    const second = await ctx.store.beginDiscovery({ connectionId: conn, slot, owner: "b", now: at(2000), leaseMs: 60_000 });
    ctx.expect(typeof second).toBe("string");
    // Its owner dies: once the lease expires, someone else may run the slot.
    ctx.expect(await ctx.store.beginDiscovery({ connectionId: conn, slot, owner: "c", now: at(61_000), leaseMs: 60_000 })).toBeNull();
    ctx
      .expect(typeof (await ctx.store.beginDiscovery({ connectionId: conn, slot, owner: "c", now: at(62_001), leaseMs: 60_000 })))
      .toBe("string");
  });

  test("renewDiscovery keeps a long discovery's slot; once it lapses another owner takes over and the old lease cannot be renewed", async (ctx) => {
    const conn = ctx.id("conn-");
    const slot = at(0);
    const id = (await ctx.store.beginDiscovery({ connectionId: conn, slot, owner: "a", now: T0, leaseMs: 60_000 })) as string;
    ctx.expect(await ctx.store.renewDiscovery({ id, owner: "a", now: at(40_000), leaseMs: 60_000 })).toBe(true);
    ctx.expect(await ctx.store.renewDiscovery({ id, owner: "b", now: at(50_000), leaseMs: 60_000 })).toBe(false);
    // Renewed until 100 s: a second process is still kept out after the first lease would have ended.
    ctx.expect(await ctx.store.beginDiscovery({ connectionId: conn, slot, owner: "c", now: at(90_000), leaseMs: 60_000 })).toBeNull();
    ctx.expect(await ctx.store.renewDiscovery({ id, owner: "a", now: at(100_000), leaseMs: 60_000 })).toBe(false);
    const taken = await ctx.store.beginDiscovery({ connectionId: conn, slot, owner: "c", now: at(100_001), leaseMs: 60_000 });
    ctx.expect(typeof taken).toBe("string");
    ctx.expect(await ctx.store.renewDiscovery({ id, owner: "a", now: at(100_002), leaseMs: 60_000 })).toBe(false);
    ctx.expect(await ctx.store.renewDiscovery({ id: taken as string, owner: "c", now: at(100_002), leaseMs: 60_000 })).toBe(true);
    await ctx.store.finishDiscovery({ id: taken as string, now: at(120_000), status: "succeeded", races: 1, newEvents: 0, apiCalls: 1 });
    ctx.expect(await ctx.store.renewDiscovery({ id: taken as string, owner: "c", now: at(120_001), leaseMs: 60_000 })).toBe(false);
    ctx.expect(await ctx.store.renewDiscovery({ id: "no-such-discovery", owner: "c", now: at(120_001), leaseMs: 60_000 })).toBe(false);
  });

  test("concurrent beginDiscovery calls admit exactly one", async (ctx) => {
    const conn = ctx.id("conn-");
    const results = await Promise.all(
      ["a", "b", "c", "d", "e"].map((owner) => ctx.store.beginDiscovery({ connectionId: conn, slot: T0, owner, now: T0, leaseMs: 60_000 })),
    );
    ctx.expect(results.filter((r) => r !== null)).toHaveLength(1);
  });
}
