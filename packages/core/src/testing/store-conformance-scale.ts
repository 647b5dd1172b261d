import { at, eventIdsOf, makeRace, makeRegistration, makeRemoval, seedRace, startPass, type StoreTest, T0 } from "./store-fixtures.js";

const DAY = 86_400_000;

/** listWorkingSet, summarizeEvents, ping and history pruning: the reads that must not grow with history. */
export function scaleTests(test: StoreTest): void {
  test("listWorkingSet returns events not done and recently ended ones, with counts, never old finished ones", async (ctx) => {
    // Starts: long ago (done), two days ago (done), yesterday (not done yet), tomorrow.
    const race = await seedRace(ctx, makeRace(ctx, [-400 * DAY, -2 * DAY, -DAY, DAY]));
    const [old, recent, lingering, future] = eventIdsOf(race);
    const done = (eventId: string | undefined) => ({ provider: ctx.provider, eventId: eventId ?? "", nextDueAt: null });
    await ctx.store.updateSchedule({ now: T0, patches: [done(old), done(recent)] });
    const runId = await startPass(ctx, race, "o");
    await ctx.store.commitPage({
      owner: "o",
      now: T0,
      runId,
      provider: ctx.provider,
      eventIds: eventIdsOf(race),
      registrations: [
        makeRegistration(race, future ?? "", ctx.id("r-")),
        makeRegistration(race, future ?? "", ctx.id("r-")),
        makeRegistration(race, old ?? "", ctx.id("r-")),
      ],
      finish: { apiCalls: 1, states: [] },
    });
    const set = await ctx.store.listWorkingSet({ recentSince: at(-7 * DAY), providers: [ctx.provider] });
    ctx.expect(set.map((e) => e.eventId)).toEqual([recent, lingering, future]);
    ctx.expect(set.map((e) => e.activeRegistrations)).toEqual([0, 0, 2]);
    ctx.expect(set[2]?.raceName).toBe(race.name);
    const limited = await ctx.store.listWorkingSet({ recentSince: at(-7 * DAY), providers: [ctx.provider], limit: 2 });
    ctx.expect(limited.map((e) => e.eventId)).toEqual([recent, lingering]);
    ctx.expect(await ctx.store.listWorkingSet({ recentSince: T0, providers: [ctx.id("other-")] })).toEqual([]);
  });

  test("an event's end, not its start, decides whether it ended recently", async (ctx) => {
    const base = makeRace(ctx, [-30 * DAY]);
    const first = base.events[0];
    if (first === undefined) throw new Error("fixture");
    // A multi-day event: started a month ago, ended yesterday.
    const race = await seedRace(ctx, { ...base, events: [{ ...first, endsAt: at(-DAY) }] });
    await ctx.store.updateSchedule({ now: T0, patches: [{ provider: ctx.provider, eventId: first.eventId, nextDueAt: null }] });
    const set = await ctx.store.listWorkingSet({ recentSince: at(-7 * DAY), providers: [ctx.provider] });
    ctx.expect(set.map((e) => e.eventId)).toEqual(eventIdsOf(race));
  });

  test("summarizeEvents counts events, finished events and active registrations of the given providers", async (ctx) => {
    const race = await seedRace(ctx, makeRace(ctx, [-400 * DAY, DAY, 2 * DAY]));
    const [e1, e2] = eventIdsOf(race);
    await ctx.store.updateSchedule({ now: T0, patches: [{ provider: ctx.provider, eventId: e1 ?? "", nextDueAt: null }] });
    const runId = await startPass(ctx, race, "o");
    const gone = makeRegistration(race, e2 ?? "", ctx.id("r-"));
    await ctx.store.commitPage({
      owner: "o",
      now: T0,
      runId,
      provider: ctx.provider,
      eventIds: eventIdsOf(race),
      registrations: [makeRegistration(race, e1 ?? "", ctx.id("r-")), makeRegistration(race, e2 ?? "", ctx.id("r-")), gone],
    });
    await ctx.store.commitPage({
      owner: "o",
      now: at(1000),
      runId,
      provider: ctx.provider,
      eventIds: eventIdsOf(race),
      removals: [makeRemoval(race, e2 ?? "", gone.registrationId, "removed")],
      finish: { apiCalls: 1, states: [] },
    });
    ctx.expect(await ctx.store.summarizeEvents({ providers: [ctx.provider] })).toEqual({ events: 3, done: 1, activeRegistrations: 2 });
    ctx.expect(await ctx.store.summarizeEvents({ providers: [ctx.id("other-")] })).toEqual({ events: 0, done: 0, activeRegistrations: 0 });
    await ctx.store.ping();
  });

  test("pruneHistory deletes old finished runs in batches, oldest first, and keeps a summary per event", async (ctx) => {
    const race = await seedRace(ctx, makeRace(ctx, [DAY, 2 * DAY]), undefined, at(-300 * DAY));
    const [e1, e2] = eventIdsOf(race);
    const finished = async (startDay: number, fail: boolean): Promise<string> => {
      const now = at(startDay * DAY);
      const runId = await startPass(ctx, race, "o", { now });
      const eventIds = eventIdsOf(race);
      if (fail) {
        await ctx.store.failRun({
          owner: "o",
          now,
          runId,
          provider: ctx.provider,
          eventIds,
          apiCalls: 1,
          states: [],
          error: { name: "ProviderError", code: "PROVIDER", message: "x", retryable: true },
        });
      } else {
        await ctx.store.commitPage({
          owner: "o",
          now,
          runId,
          provider: ctx.provider,
          eventIds,
          registrations: [makeRegistration(race, e1 ?? "", ctx.id("r-"))],
          finish: { apiCalls: 3, states: [] },
        });
      }
      return runId;
    };
    await finished(-200, false);
    await finished(-150, true);
    const kept = await finished(-10, false);
    const running = await startPass(ctx, race, "o", { now: at(-190 * DAY) });
    const cutoff = at(-90 * DAY);
    ctx
      .expect(await ctx.store.pruneHistory({ now: T0, runsBefore: cutoff, statusChangesBefore: null, batchSize: 1 }))
      .toMatchObject({ runs: 1 });
    ctx
      .expect(await ctx.store.pruneHistory({ now: T0, runsBefore: cutoff, statusChangesBefore: null, batchSize: 10 }))
      .toMatchObject({ runs: 1 });
    ctx
      .expect(await ctx.store.pruneHistory({ now: T0, runsBefore: cutoff, statusChangesBefore: null, batchSize: 10 }))
      .toMatchObject({ runs: 0 });
    ctx.expect((await ctx.store.listRuns({ eventId: e2 })).map((r) => r.id)).toEqual([kept, running]);
    const summaries = await ctx.store.listHistorySummaries({ provider: ctx.provider });
    ctx.expect(summaries.map((s) => s.eventId).sort()).toEqual([e1, e2].sort());
    ctx.expect(summaries.find((s) => s.eventId === e1)).toMatchObject({
      runs: 2,
      failedRuns: 1,
      apiCalls: 4,
      rowsInserted: 1,
      rowsUpdated: 0,
      rowsRemoved: 0,
      firstRunAt: at(-200 * DAY),
      lastRunAt: at(-150 * DAY),
    });
    ctx.expect(await ctx.store.listHistorySummaries({ provider: ctx.provider, eventIds: [e2 ?? ""] })).toHaveLength(1);
    ctx
      .expect(await ctx.store.pruneHistory({ now: T0, runsBefore: null, statusChangesBefore: null, batchSize: 10 }))
      .toEqual({ runs: 0, statusChanges: 0 });
  });
}
