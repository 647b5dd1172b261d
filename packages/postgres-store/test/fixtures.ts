import type { Race, Registration, Removal } from "@project88/core";

/** A race with `events` events, starting at `startsAt`. */
export function race(raceId: string, eventIds: readonly string[], startsAt = new Date("2026-06-01T14:30:00Z")): Race {
  return {
    provider: "runsignup",
    raceId,
    name: `Race ${raceId}`,
    timezone: "America/Denver",
    nextDate: "2026-06-01",
    raw: { race_id: Number(raceId) || raceId },
    events: eventIds.map((eventId, i) => ({
      provider: "runsignup",
      eventId,
      raceId,
      name: `Event ${eventId}`,
      startsAt: new Date(startsAt.getTime() + i * 60_000),
      endsAt: null,
      raw: { event_id: eventId },
    })),
  };
}

/** A registration of `eventId` with every column filled. */
export function registration(id: string, eventId: string, overrides: Partial<Registration> = {}): Registration {
  return {
    provider: "runsignup",
    registrationId: id,
    raceId: "100",
    eventId,
    userId: `u${id}`,
    firstName: "Ada",
    lastName: `Runner${id}`,
    gender: "F",
    dob: "1990-02-28",
    age: 36,
    bib: null,
    chip: null,
    email: `ada${id}@example.com`,
    phone: null,
    city: "Boulder",
    state: "CO",
    country: "US",
    teamName: null,
    registeredAt: new Date("2026-01-10T12:00:00Z"),
    modifiedAt: new Date("2026-01-10T12:00:00Z"),
    raw: { registration_id: id, user: { first_name: "Ada" } },
    ...overrides,
  };
}

/** A removal row of the feed. */
export function removal(id: string, eventId: string, overrides: Partial<Removal> = {}): Removal {
  return {
    provider: "runsignup",
    registrationId: id,
    raceId: "100",
    eventId,
    reason: "removed",
    newRegistrationId: null,
    modifiedAt: new Date("2026-02-01T00:00:00Z"),
    raw: { registration_id: id, removed: "T" },
    ...overrides,
  };
}
