import { AuthError, ProviderError, RateLimitedError, SyncError } from "../errors.js";
import type { Race } from "../types.js";
import { badDataTests } from "./adapter-conformance-bad-data.js";
import type { AdapterHarness, SeedRaceSpec } from "./adapter-harness.js";
import { collect, seedOneEvent, MIN, modified, people, T0, type AdapterTest } from "./adapter-fixtures.js";
import { rejectionOf, type ConformanceTestApi } from "./conformance-api.js";
import { createCountingBudget } from "./counting-budget.js";

/** How the suite gets a fake provider and its adapter. */
export interface AdapterConformanceOptions {
  /** A fresh harness per test; the suite calls its `close()` after the test. */
  readonly createHarness: () => AdapterHarness | Promise<AdapterHarness>;
  /** Prefix of the describe block's name. Default `ProviderAdapter conformance`. */
  readonly name?: string | undefined;
}

/**
 * Registers the suite every `ProviderAdapter` must pass against a fake of its provider: races
 * with UTC instants, keyset paging and resumption, inclusive `modifiedSince`, several events per
 * call, the removal feed, a budget charge for every request and none after abort, typed errors
 * that never turn into empty pages, a race refused to the credentials as a `ForbiddenError`, and
 * bad rows that never fail their page (an unreadable field null with its problem, an unreadable
 * row skipped and counted).
 */
export function runAdapterConformance(api: ConformanceTestApi, options: AdapterConformanceOptions): void {
  const { it, expect } = api;
  const test: AdapterTest = (name, body) => {
    it(name, async () => {
      const harness = await options.createHarness();
      const budget = createCountingBudget();
      const controller = new AbortController();
      try {
        await body({ harness, budget, controller, ctx: { budget, signal: controller.signal, now: T0 }, expect });
        // Every request was charged, and every slot given back once.
        expect(budget.acquired).toBe(harness.requestCount());
        expect(budget.released).toBe(budget.acquired);
        expect(budget.doubleReleases).toBe(0);
        expect(harness.maxInFlight()).toBeLessThanOrEqual(Math.max(1, budget.maxInFlight));
      } finally {
        await harness.close?.();
      }
    });
  };

  api.describe(options.name ?? "ProviderAdapter conformance", () => {
    test("listRaces returns the seeded races with their zones and events at UTC instants", async ({ harness, ctx, expect }) => {
      const spec: SeedRaceSpec[] = [
        {
          name: "Mountain Run",
          timezone: "America/Denver",
          events: [
            { name: "10K", startsAt: new Date("2026-05-03T14:00:00Z"), registrations: [] },
            { name: "5K", startsAt: new Date("2026-05-03T15:30:00Z"), registrations: [] },
          ],
        },
        {
          name: "Course de Paris",
          timezone: "Europe/Paris",
          events: [{ name: "Semi", startsAt: new Date("2026-05-04T06:45:00Z"), registrations: [] }],
        },
      ];
      const seeded = await harness.seed({ races: spec });
      const races: Race[] = [];
      for await (const race of harness.adapter.listRaces(
        seeded.connection,
        { from: new Date("2026-05-02T00:00:00Z"), to: new Date("2026-05-10T00:00:00Z") },
        ctx,
      ))
        if (!("skipped" in race)) races.push(race);
      spec.forEach((raceSpec, r) => {
        const ids = seeded.races[r];
        const race = races.find((x) => x.raceId === ids?.raceId);
        expect(race).toMatchObject({ provider: harness.adapter.provider, name: raceSpec.name, timezone: raceSpec.timezone });
        raceSpec.events.forEach((eventSpec, e) => {
          const event = race?.events.find((x) => x.eventId === ids?.events[e]?.eventId);
          expect(event).toMatchObject({ provider: harness.adapter.provider, raceId: ids?.raceId, name: eventSpec.name });
          expect(event?.startsAt).toBeInstanceOf(Date);
          expect(event?.startsAt.toISOString()).toBe(eventSpec.startsAt.toISOString());
        });
      });
    });

    test("a full pull pages in keyset order, and resuming from a page's after yields exactly the rest", async ({
      harness,
      ctx,
      expect,
    }) => {
      const n = harness.pageSize * 2 + 1;
      const seeded = await seedOneEvent(harness, { name: "Paged", count: n });
      const race = seeded.races[0];
      const eventId = race?.events[0]?.eventId ?? "";
      const args = { raceId: race?.raceId ?? "", eventIds: [eventId] };
      const pages = await collect(harness.adapter.fetchRegistrations(seeded.connection, args, ctx));
      const ids = pages.flatMap((p) => p.rows.map((r) => r.registrationId));
      expect([...ids].sort()).toEqual([...(race?.events[0]?.registrationIds ?? [])].sort());
      expect(new Set(ids).size).toBe(n);
      expect(pages.length).toBeGreaterThanOrEqual(3);
      expect(pages[pages.length - 1]?.after).toBeNull();
      for (const page of pages.slice(0, -1)) expect(page.after).not.toBeNull();
      const first = pages[0]?.rows[0];
      expect(first).toMatchObject({
        provider: harness.adapter.provider,
        raceId: race?.raceId,
        eventId,
        firstName: "First0",
        lastName: "Last0",
      });
      expect(first?.modifiedAt?.toISOString()).toBe(modified(0).toISOString());
      const resumed = await collect(harness.adapter.fetchRegistrations(seeded.connection, { ...args, after: pages[0]?.after ?? "" }, ctx));
      expect(resumed.flatMap((p) => p.rows.map((r) => r.registrationId))).toEqual(ids.slice(pages[0]?.rows.length ?? 0));
    });

    test("modifiedSince is inclusive and returns only rows changed at or after it", async ({ harness, ctx, expect }) => {
      const seeded = await seedOneEvent(harness, { name: "Incremental", count: 4, timezone: "America/New_York" });
      const race = seeded.races[0];
      const ids = race?.events[0]?.registrationIds ?? [];
      const since = new Date(T0.getTime() - 30 * MIN);
      await harness.modifyRegistration(ids[1] ?? "", { lastName: "Changed", at: since });
      await harness.modifyRegistration(ids[3] ?? "", { lastName: "Later", at: new Date(since.getTime() + 5000) });
      const pages = await collect(
        harness.adapter.fetchRegistrations(
          seeded.connection,
          { raceId: race?.raceId ?? "", eventIds: [race?.events[0]?.eventId ?? ""], modifiedSince: since },
          ctx,
        ),
      );
      const rows = pages.flatMap((p) => p.rows).sort((a, b) => (a.lastName ?? "").localeCompare(b.lastName ?? ""));
      expect(rows.map((r) => [r.registrationId, r.lastName])).toEqual([
        [ids[1], "Changed"],
        [ids[3], "Later"],
      ]);
      expect(rows[0]?.modifiedAt?.toISOString()).toBe(since.toISOString());
    });

    test("several events of one race come back from one fetch", async ({ harness, ctx, expect }) => {
      const seeded = await harness.seed({
        races: [
          {
            name: "Two starts",
            timezone: "UTC",
            events: [
              { name: "A", startsAt: new Date("2026-05-03T12:00:00Z"), registrations: people(1) },
              { name: "B", startsAt: new Date("2026-05-03T13:00:00Z"), registrations: people(1, 10) },
            ],
          },
        ],
      });
      const race = seeded.races[0];
      const eventIds = race?.events.map((e) => e.eventId) ?? [];
      const pages = await collect(harness.adapter.fetchRegistrations(seeded.connection, { raceId: race?.raceId ?? "", eventIds }, ctx));
      const rows = pages.flatMap((p) => p.rows);
      expect([...new Set(rows.map((r) => r.registrationId))].sort()).toEqual((race?.events.flatMap((e) => e.registrationIds) ?? []).sort());
      for (const row of rows) expect(eventIds).toContain(row.eventId);
      if (harness.multiEventCalls !== false) expect(harness.requestCount()).toBe(1);
    });

    test("the removal feed reports removed registrations with their reason", async ({ harness, ctx, expect }) => {
      const seeded = await seedOneEvent(harness, { name: "Refunds", count: 3 });
      const race = seeded.races[0];
      const ids = race?.events[0]?.registrationIds ?? [];
      const at = new Date(T0.getTime() - 10 * MIN);
      await harness.removeRegistration(ids[0] ?? "", { reason: "removed", at });
      await harness.removeRegistration(ids[2] ?? "", { reason: "deferred", at });
      const args = { raceId: race?.raceId ?? "", eventIds: [race?.events[0]?.eventId ?? ""], modifiedSince: at };
      const removals = (await collect(harness.adapter.fetchRemovals(seeded.connection, args, ctx))).flatMap((p) => p.rows);
      const byId = new Map(removals.map((r) => [r.registrationId, r]));
      expect(byId.get(ids[0] ?? "")).toMatchObject({ provider: harness.adapter.provider, reason: "removed", raceId: race?.raceId });
      expect(byId.get(ids[2] ?? "")?.reason).toBe("deferred");
      expect(byId.has(ids[1] ?? "")).toBe(false);
      const active = (
        await collect(harness.adapter.fetchRegistrations(seeded.connection, { ...args, modifiedSince: undefined }, ctx))
      ).flatMap((p) => p.rows);
      expect(active.map((r) => r.registrationId)).toEqual([ids[1]]);
    });

    test("nothing is requested once the signal has aborted", async ({ harness, ctx, controller, expect }) => {
      const seeded = await seedOneEvent(harness, { name: "Abort", count: harness.pageSize * 2 + 1 });
      const race = seeded.races[0];
      const args = { raceId: race?.raceId ?? "", eventIds: [race?.events[0]?.eventId ?? ""] };
      const iterator = harness.adapter.fetchRegistrations(seeded.connection, args, ctx)[Symbol.asyncIterator]();
      const first = await iterator.next();
      expect(first.done).toBe(false);
      const sent = harness.requestCount();
      controller.abort();
      await rejectionOf(iterator.next());
      await rejectionOf(collect(harness.adapter.fetchRemovals(seeded.connection, args, ctx)));
      expect(harness.requestCount()).toBe(sent);
    });

    test("errors are typed SyncErrors and never empty pages", async ({ harness, ctx, expect }) => {
      const seeded = await seedOneEvent(harness, { name: "Faults", count: harness.pageSize * 2 });
      const race = seeded.races[0];
      const args = { raceId: race?.raceId ?? "", eventIds: [race?.events[0]?.eventId ?? ""] };
      const expected = { auth: AuthError, provider: ProviderError, "rate-limited": RateLimitedError } as const;
      for (const failure of ["auth", "provider", "rate-limited"] as const) {
        await harness.failRequests(failure, 20);
        const error = await rejectionOf(collect(harness.adapter.fetchRegistrations(seeded.connection, args, ctx)));
        expect(error).toBeInstanceOf(expected[failure]);
        await harness.failRequests(failure, 0);
      }
      // A failure after the first page ends the pull with an error, not with a short page.
      const iterator = harness.adapter.fetchRegistrations(seeded.connection, args, ctx)[Symbol.asyncIterator]();
      const first = await iterator.next();
      expect(first.value?.rows).toHaveLength(harness.pageSize);
      await harness.failRequests("provider", 20);
      const error = await rejectionOf(iterator.next());
      expect(error).toBeInstanceOf(SyncError);
      await harness.failRequests("provider", 0);
    });

    badDataTests(test);
  });
}
