import type { StoredEvent } from "../src/store.js";

/**
 * A stored event of race r1 starting at `startsAt`, seen by connection "a", for the pure
 * scheduling rules: `state` holds only what a test gives it (the rules read a few fields).
 */
export function storedEvent(eventId: string, startsAt: Date, state: Partial<StoredEvent["state"]>): StoredEvent {
  return {
    provider: "scripted",
    eventId,
    raceId: "r1",
    raceName: "Race",
    timezone: "UTC",
    name: "Event",
    startsAt,
    endsAt: null,
    connectionIds: ["a"],
    forbidden: [],
    activeRegistrations: 30,
    state: { provider: "scripted", eventId, raceId: "r1", ...state } as StoredEvent["state"],
  };
}
