import { describe, expect, it } from "vitest";
import { AuthError, ForbiddenError, ProviderError, RateLimitedError, secret, type Connection, type SyncError } from "@project88/core";
import {
  ManualClock,
  createCountingBudget,
  createScriptedAdapter,
  generateDataset,
  runAdapterConformance,
  type AdapterHarness,
  type HarnessFailure,
} from "@project88/core/testing";
import { bareRegistration } from "./registration.js";

const base = new Date("2026-05-02T14:00:00Z");
const conn: Connection = {
  id: "c1",
  provider: "scripted",
  credentials: { token: secret("t") },
  budgetKey: "scripted:c1",
  callsPerHour: 1000,
  maxInFlight: 2,
};

function setup(pageSize = 4, clock?: ManualClock) {
  const data = generateDataset({ seed: 7, races: 2, base, eventOffsetsMs: [0, 3_600_000], registrationsPerEvent: 5 });
  const adapter = createScriptedAdapter({ dataset: data, pageSize, ...(clock ? { clock } : {}) });
  const budget = createCountingBudget();
  const controller = new AbortController();
  return { data, adapter, budget, controller, ctx: { budget, signal: controller.signal, now: base } };
}

async function collect<P>(iter: AsyncIterable<P>): Promise<P[]> {
  const out: P[] = [];
  for await (const page of iter) out.push(page);
  return out;
}

describe("createScriptedAdapter", () => {
  it("generates the same dataset from the same seed", () => {
    const a = generateDataset({ seed: 3, races: 3, base, zones: ["America/Denver", "Europe/Paris"], registrationsPerEvent: 4 });
    const b = generateDataset({ seed: 3, races: 3, base, zones: ["America/Denver", "Europe/Paris"], registrationsPerEvent: 4 });
    expect(a).toEqual(b);
    expect(a.races.map((r) => r.timezone)).toEqual(["America/Denver", "Europe/Paris", "America/Denver"]);
    expect(generateDataset({ seed: 4, races: 3, base, registrationsPerEvent: 4 }).registrations).not.toEqual(a.registrations);
  });

  it("pages two events of a race in one call each page, logging every request", async () => {
    const { data, adapter, ctx, budget } = setup(4);
    const race = data.races[0]!;
    const pages = await collect(
      adapter.fetchRegistrations(conn, { raceId: race.raceId, eventIds: race.events.map((e) => e.eventId) }, ctx),
    );
    expect(pages.map((p) => p.rows.length)).toEqual([4, 4, 2]);
    expect(pages.map((p) => p.after)).toEqual([pages[0]!.rows[3]!.registrationId, pages[1]!.rows[3]!.registrationId, null]);
    expect(adapter.calls.map((c) => [c.kind, c.eventIds.length, c.after])).toEqual([
      ["registrations", 2, null],
      ["registrations", 2, pages[0]!.after],
      ["registrations", 2, pages[1]!.after],
    ]);
    expect(budget.acquired).toBe(3);
    expect(budget.released).toBe(3);
  });

  it("fails the Nth call or a given race with the scripted error, and never as an empty page", async () => {
    const { data, adapter, ctx } = setup(4);
    const race = data.races[0]!;
    adapter.failOn({ call: 2, error: new ProviderError("[scripted] boom") });
    const args = { raceId: race.raceId, eventIds: [race.events[0]!.eventId] };
    await expect(collect(adapter.fetchRegistrations(conn, args, ctx))).rejects.toBeInstanceOf(ProviderError);
    adapter.failOn({ raceId: data.races[1]!.raceId, kind: "removals", error: new AuthError("[scripted] denied") });
    await expect(
      collect(adapter.fetchRemovals(conn, { raceId: data.races[1]!.raceId, eventIds: [data.races[1]!.events[0]!.eventId] }, ctx)),
    ).rejects.toBeInstanceOf(AuthError);
    expect((await collect(adapter.fetchRegistrations(conn, args, ctx))).flatMap((p) => p.rows)).toHaveLength(5);
  });

  it("holds each request for its clock delay, counting requests in flight", async () => {
    const clock = new ManualClock(base);
    const { data, adapter, ctx } = setup(100, clock);
    adapter.setDelay(1000);
    const [r1, r2] = data.races;
    const a = collect(adapter.fetchRegistrations(conn, { raceId: r1!.raceId, eventIds: [r1!.events[0]!.eventId] }, ctx));
    const b = collect(adapter.fetchRegistrations(conn, { raceId: r2!.raceId, eventIds: [r2!.events[0]!.eventId] }, ctx));
    await clock.advance(999);
    expect(adapter.inFlight).toBe(2);
    await clock.advance(1);
    await Promise.all([a, b]);
    expect(adapter.inFlight).toBe(0);
    expect(adapter.maxInFlight).toBe(2);
  });

  it("stops a delayed request when the signal aborts and sends nothing after", async () => {
    const clock = new ManualClock(base);
    const { data, adapter, ctx, controller, budget } = setup(2, clock);
    adapter.setDelay(1000);
    const race = data.races[0]!;
    const pending = collect(adapter.fetchRegistrations(conn, { raceId: race.raceId, eventIds: [race.events[0]!.eventId] }, ctx));
    await clock.advance(10);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: "ABORTED" });
    expect(adapter.calls).toHaveLength(1);
    expect(budget.released).toBe(budget.acquired);
  });

  it("sees mutations: a modified row is in the next modifiedSince pass, a removed one in the removal feed", async () => {
    const { data, adapter, ctx } = setup(100);
    const race = data.races[0]!;
    const eventIds = [race.events[0]!.eventId];
    const [first, second] = adapter.dataset.registrations(eventIds);
    const at = new Date("2026-05-02T13:00:00Z");
    adapter.dataset.modifyRegistration(first!.registrationId, { bib: "77" }, at);
    adapter.dataset.removeRegistration(second!.registrationId, { reason: "transferred", at, newRegistrationId: "999999" });
    const changed = (await collect(adapter.fetchRegistrations(conn, { raceId: race.raceId, eventIds, modifiedSince: at }, ctx))).flatMap(
      (p) => p.rows,
    );
    expect(changed.map((r) => [r.registrationId, r.bib])).toEqual([[first!.registrationId, "77"]]);
    const removals = [];
    for await (const page of adapter.fetchRemovals(conn, { raceId: race.raceId, eventIds, modifiedSince: at }, ctx))
      removals.push(...page.rows);
    expect(removals).toMatchObject([{ registrationId: second!.registrationId, reason: "transferred", newRegistrationId: "999999" }]);
    adapter.dataset.moveEvent(race.events[0]!.eventId, new Date("2026-05-02T15:00:00Z"));
    const races = [];
    for await (const r of adapter.listRaces(conn, { from: base, to: new Date("2026-05-03T00:00:00Z") }, ctx))
      if (!("skipped" in r)) races.push(r);
    expect(races.find((r) => r.raceId === race.raceId)?.events[0]?.startsAt).toEqual(new Date("2026-05-02T15:00:00Z"));
  });
});

/** The scripted adapter's side of the adapter conformance suite. */
function createScriptedHarness(): AdapterHarness {
  const adapter = createScriptedAdapter({ pageSize: 3 });
  let nextId = 100;
  const failures: Record<HarnessFailure, () => SyncError> = {
    auth: () => new AuthError("[scripted] error 6 Invalid API key"),
    provider: () => new ProviderError("[scripted] HTTP 503", { httpStatus: 503 }),
    "rate-limited": () => new RateLimitedError("[scripted] error 14", 1000),
    forbidden: () => new ForbiddenError("[scripted] error 7 Permission Denied"),
  };
  return {
    adapter,
    pageSize: 3,
    async seed(spec) {
      const races = spec.races.map((raceSpec) => {
        const raceId = String(nextId++);
        const events = raceSpec.events.map((eventSpec) => {
          const eventId = String(nextId++);
          const registrationIds = eventSpec.registrations.map((person) => {
            const registrationId = String(nextId++);
            adapter.dataset.upsertRegistration(
              bareRegistration({
                provider: adapter.provider,
                registrationId,
                raceId,
                eventId,
                firstName: person.firstName,
                lastName: person.lastName,
                registeredAt: person.modifiedAt,
                modifiedAt: person.modifiedAt,
              }),
            );
            return registrationId;
          });
          return { eventId, registrationIds, spec: eventSpec };
        });
        adapter.dataset.addRace({
          provider: adapter.provider,
          raceId,
          name: raceSpec.name,
          timezone: raceSpec.timezone,
          nextDate: null,
          raw: {},
          events: events.map((e) => ({
            provider: adapter.provider,
            eventId: e.eventId,
            raceId,
            name: e.spec.name,
            startsAt: e.spec.startsAt,
            endsAt: null,
            raw: {},
          })),
        });
        return { raceId, events: events.map(({ eventId, registrationIds }) => ({ eventId, registrationIds })) };
      });
      return { connection: conn, races };
    },
    async modifyRegistration(id, change) {
      adapter.dataset.modifyRegistration(id, { lastName: change.lastName }, change.at);
    },
    async removeRegistration(id, change) {
      adapter.dataset.removeRegistration(id, { reason: change.reason, at: change.at });
    },
    failRequests(failure, count) {
      adapter.clearFailures();
      if (count > 0) adapter.failOn({ error: failures[failure](), times: count });
    },
    sendBadField(id) {
      // The scripted provider serves rows as the adapter would yield them: the field null, its problem named.
      const row = adapter.dataset.allRegistrations().find((r) => r.registrationId === id);
      if (row !== undefined)
        adapter.dataset.upsertRegistration({ ...row, dob: null, problems: [{ field: "dob", reason: 'dob "0000-00-00"' }] });
      return "dob";
    },
    sendUnreadableRow(id) {
      adapter.dataset.makeUnreadable(id, { field: "registrationId", reason: "registration_id missing" });
    },
    requestCount: () => adapter.calls.length,
    maxInFlight: () => adapter.maxInFlight,
  };
}

runAdapterConformance({ describe, it, expect }, { createHarness: createScriptedHarness, name: "scripted adapter conformance" });
