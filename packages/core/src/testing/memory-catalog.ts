import { StoreError } from "../errors.js";
import type { DiscoveryDiff, MarkForbiddenArgs, SaveDiscoveryArgs, StoredEvent, SyncStore } from "../store.js";
import type { EventRef } from "../types.js";
import { applyPatch, compareIds, copy, key, newState, toStoredEvent, type MemoryState } from "./memory-state.js";

type ScheduleArgs = Parameters<SyncStore["updateSchedule"]>[0];

function validDate(value: unknown): boolean {
  return value instanceof Date && !Number.isNaN(value.getTime());
}

/** Refuses a discovery with a malformed race or event before anything is stored. */
function validateDiscovery(args: SaveDiscoveryArgs): void {
  for (const race of args.races) {
    const where = `[memory-store] race ${race.provider}:${race.raceId}`;
    if (typeof race.raceId !== "string" || race.raceId.length === 0) throw new StoreError(`${where}: raceId is empty`);
    if (typeof race.timezone !== "string" || race.timezone.length === 0) throw new StoreError(`${where}: timezone is empty`);
    for (const event of race.events) {
      const at = `${where} event ${event.eventId}`;
      if (typeof event.eventId !== "string" || event.eventId.length === 0) throw new StoreError(`${at}: eventId is empty`);
      if (event.raceId !== race.raceId || event.provider !== race.provider) throw new StoreError(`${at}: belongs to another race`);
      if (!validDate(event.startsAt)) throw new StoreError(`${at}: startsAt is not a valid Date`);
      if (event.endsAt !== null && !validDate(event.endsAt)) throw new StoreError(`${at}: endsAt is not a valid Date`);
    }
  }
}

/** `SyncStore.saveDiscovery`: upserts races and events, links the connection, reports the diff. */
export function saveDiscovery(state: MemoryState, args: SaveDiscoveryArgs): DiscoveryDiff {
  validateDiscovery(args);
  const newRaces: string[] = [];
  const newEvents: EventRef[] = [];
  const changedEvents: { ref: EventRef; previousStartsAt: Date; startsAt: Date }[] = [];
  for (const race of args.races) {
    const raceKey = key(race.provider, race.raceId);
    const storedRace = state.races.get(raceKey);
    if (storedRace === undefined) newRaces.push(race.raceId);
    const { events, ...raceFields } = race;
    state.races.set(raceKey, {
      ...copy(raceFields),
      firstSeenAt: storedRace?.firstSeenAt ?? new Date(args.now),
      updatedAt: new Date(args.now),
    });
    for (const event of events) {
      const eventKey = key(event.provider, event.eventId);
      const stored = state.events.get(eventKey);
      if (stored === undefined) {
        newEvents.push({ provider: event.provider, eventId: event.eventId });
        state.states.set(eventKey, newState(event, args.now, args.newEventPriority));
      } else {
        const moved =
          stored.startsAt.getTime() !== event.startsAt.getTime() ||
          (stored.endsAt?.getTime() ?? null) !== (event.endsAt?.getTime() ?? null);
        if (moved) {
          changedEvents.push({
            ref: { provider: event.provider, eventId: event.eventId },
            previousStartsAt: new Date(stored.startsAt),
            startsAt: new Date(event.startsAt),
          });
        }
      }
      state.events.set(eventKey, { ...copy(event), firstSeenAt: stored?.firstSeenAt ?? new Date(args.now), updatedAt: new Date(args.now) });
      let connections = state.connectionsByEvent.get(eventKey);
      if (connections === undefined) {
        connections = new Set();
        state.connectionsByEvent.set(eventKey, connections);
      }
      connections.add(args.connectionId);
      // Seen again through these credentials: try them again.
      state.forbiddenByEvent.get(eventKey)?.delete(args.connectionId);
    }
  }
  return { newRaces, newEvents, changedEvents };
}

/** `SyncStore.markForbidden`: marks the connection's links to the race's events; the first mark's time stays. */
export function markForbidden(state: MemoryState, args: MarkForbiddenArgs): EventRef[] {
  const marked: EventRef[] = [];
  for (const [eventKey, event] of state.events) {
    if (event.provider !== args.provider || event.raceId !== args.raceId) continue;
    if (state.connectionsByEvent.get(eventKey)?.has(args.connectionId) !== true) continue;
    let links = state.forbiddenByEvent.get(eventKey);
    if (links === undefined) {
      links = new Map();
      state.forbiddenByEvent.set(eventKey, links);
    }
    const since = links.get(args.connectionId)?.since ?? new Date(args.now);
    links.set(args.connectionId, { connectionId: args.connectionId, since, error: copy(args.error) });
    marked.push({ provider: event.provider, eventId: event.eventId });
  }
  return marked;
}

/** `SyncStore.listEvents`: by refs or all, ordered by start then event id. */
export function listEvents(state: MemoryState, args?: Parameters<SyncStore["listEvents"]>[0]): StoredEvent[] {
  const keys =
    args?.refs === undefined
      ? [...state.events.keys()]
      : args.refs.map((ref) => key(ref.provider, ref.eventId)).filter((k) => state.events.has(k));
  const out = [...new Set(keys)]
    .map((k) => toStoredEvent(state, k))
    .filter((event) => args?.provider === undefined || event.provider === args.provider);
  return out.sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime() || compareIds(a.eventId, b.eventId));
}

/** `SyncStore.updateSchedule`: all patches or none (an unknown event refuses the batch). */
export function updateSchedule(state: MemoryState, args: ScheduleArgs): void {
  for (const patch of args.patches) {
    if (!state.states.has(key(patch.provider, patch.eventId))) {
      throw new StoreError(`[memory-store] ${patch.provider} event ${patch.eventId} is unknown; no schedule was changed`, {
        retryable: false,
      });
    }
  }
  for (const patch of args.patches) {
    const sync = state.states.get(key(patch.provider, patch.eventId));
    if (sync !== undefined) applyPatch(sync, patch);
  }
}
