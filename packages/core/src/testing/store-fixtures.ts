import type { PassKind, Race, Registration, Removal, RemovalReason } from "../types.js";
import type { SyncStore } from "../store.js";
import type { ConformanceExpectation } from "./conformance-api.js";
import { uniqueId } from "./conformance-api.js";

/**
 * One conformance test: a name and a body run against a fresh context. Declared here, beside the
 * context, so the suite's section files import from the fixtures and never from the suite.
 */
export type StoreTest = (name: string, body: (ctx: StoreTestContext) => Promise<void>) => void;

/** The instant every store test starts at. */
export const T0 = new Date("2026-06-01T12:00:00Z");

/** `T0` plus `ms`. */
export function at(ms: number): Date {
  return new Date(T0.getTime() + ms);
}

/** What each store test receives: a store and ids no other test uses. */
export interface StoreTestContext {
  readonly store: SyncStore;
  readonly expect: (actual: unknown) => ConformanceExpectation;
  /** A provider name unique to this test: claims filtered by it never see other tests' events. */
  readonly provider: string;
  /** A fresh id with a readable prefix. */
  id(prefix: string): string;
}

/** A race with one event per start offset (ms after T0), all ids unique to the test. */
export function makeRace(ctx: StoreTestContext, startOffsetsMs: readonly number[] = [86_400_000], name = "Conformance Race"): Race {
  const raceId = ctx.id("race-");
  return {
    provider: ctx.provider,
    raceId,
    name,
    timezone: "America/Denver",
    nextDate: "2026-06-02",
    raw: { race_id: raceId },
    events: startOffsetsMs.map((offset, i) => {
      const eventId = ctx.id("ev-");
      return {
        provider: ctx.provider,
        eventId,
        raceId,
        name: `Event ${i + 1}`,
        startsAt: at(offset),
        endsAt: null,
        raw: { event_id: eventId },
      };
    }),
  };
}

/** A valid registration of an event. */
export function makeRegistration(race: Race, eventId: string, registrationId: string, overrides: Partial<Registration> = {}): Registration {
  return {
    provider: race.provider,
    registrationId,
    raceId: race.raceId,
    eventId,
    userId: `u${registrationId}`,
    firstName: "Ada",
    lastName: "Lovelace",
    gender: "F",
    dob: "1990-12-10",
    age: 35,
    bib: "101",
    chip: null,
    email: "ada@example.test",
    phone: null,
    city: "Boulder",
    state: "CO",
    country: "US",
    teamName: null,
    registeredAt: at(-86_400_000),
    modifiedAt: at(-3_600_000),
    raw: { registration_id: registrationId, nested: { shirt: "M" } },
    ...overrides,
  };
}

/** A removal row of an event. */
export function makeRemoval(
  race: Race,
  eventId: string,
  registrationId: string,
  reason: RemovalReason,
  newRegistrationId: string | null = null,
): Removal {
  return {
    provider: race.provider,
    registrationId,
    raceId: race.raceId,
    eventId,
    reason,
    newRegistrationId,
    modifiedAt: at(-60_000),
    raw: { registration_id: registrationId, reason },
  };
}

/** Ids of the race's events. */
export function eventIdsOf(race: Race): string[] {
  return race.events.map((e) => e.eventId);
}

/** Saves a race through `connectionId` (default: a fresh one) and returns it. */
export async function seedRace(ctx: StoreTestContext, race: Race, connectionId = ctx.id("conn-"), now = T0, priority = 0): Promise<Race> {
  await ctx.store.saveDiscovery({ connectionId, provider: ctx.provider, races: [race], now, newEventPriority: priority });
  return race;
}

/** Leases every event of the race for `owner` and starts a run on them. */
export async function startPass(
  ctx: StoreTestContext,
  race: Race,
  owner: string,
  options: { now?: Date; leaseMs?: number; kind?: PassKind } = {},
): Promise<string> {
  const now = options.now ?? T0;
  const refs = race.events.map((e) => ({ provider: ctx.provider, eventId: e.eventId }));
  const claimed = await ctx.store.claimEvents({ owner, now, leaseMs: options.leaseMs ?? 60_000, refs });
  ctx.expect(claimed).toHaveLength(refs.length);
  return ctx.store.startRun({
    owner,
    now,
    connectionId: "conn",
    provider: ctx.provider,
    raceId: race.raceId,
    eventIds: eventIdsOf(race),
    kind: options.kind ?? "backfill",
  });
}

/** The stored registrations of a race, keyed by id. */
export async function storedById(
  ctx: StoreTestContext,
  race: Race,
): Promise<Map<string, Awaited<ReturnType<SyncStore["listRegistrations"]>>[number]>> {
  const rows = await ctx.store.listRegistrations({ provider: ctx.provider, raceId: race.raceId });
  return new Map(rows.map((r) => [r.registrationId, r]));
}

/** Creates the per-test context. */
export function createContext(store: SyncStore, expect: (actual: unknown) => ConformanceExpectation): StoreTestContext {
  return { store, expect, provider: uniqueId("prov-"), id: (prefix) => uniqueId(prefix) };
}
