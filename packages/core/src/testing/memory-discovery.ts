import { StoreError } from "../errors.js";
import type { DiscoveryDiff, DiscoveryRecord, MarkForbiddenArgs, SaveDiscoveryArgs, SyncStore } from "../store.js";
import type { EventRef } from "../types.js";
import { abandonedError, copy, key, newState, type MemoryState, type MutableDiscovery } from "./memory-state.js";

type BeginArgs = Parameters<SyncStore["beginDiscovery"]>[0];
type FinishArgs = Parameters<SyncStore["finishDiscovery"]>[0];

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

function publicRecord(record: MutableDiscovery): DiscoveryRecord {
  const { owner: _owner, leaseExpiresAt: _lease, seq: _seq, ...rest } = record;
  return copy(rest);
}

/**
 * `SyncStore.beginDiscovery`: one caller per connection and slot. A running record whose lease
 * expired is closed as abandoned (its process is presumed dead) so the slot can be retried.
 */
export function beginDiscovery(state: MemoryState, args: BeginArgs): string | null {
  const slot = args.slot.getTime();
  const now = args.now.getTime();
  for (const record of state.discoveries) {
    if (record.connectionId !== args.connectionId) continue;
    if (record.status === "succeeded" && record.slot.getTime() >= slot) return null;
    if (record.status === "running" && record.leaseExpiresAt.getTime() > now) return null;
  }
  for (const record of state.discoveries) {
    if (record.connectionId === args.connectionId && record.status === "running") {
      record.status = "abandoned";
      record.finishedAt = new Date(record.leaseExpiresAt);
      record.error = abandonedError("discovery", record.owner);
    }
  }
  state.seq++;
  const id = `discovery-${state.seq}`;
  state.discoveries.push({
    id,
    connectionId: args.connectionId,
    slot: new Date(args.slot),
    startedAt: new Date(args.now),
    finishedAt: null,
    status: "running",
    races: 0,
    newEvents: 0,
    apiCalls: 0,
    error: null,
    owner: args.owner,
    leaseExpiresAt: new Date(now + args.leaseMs),
    seq: state.seq,
  });
  return id;
}

/** `SyncStore.renewDiscovery`: only a running record whose unexpired lease `owner` holds. */
export function renewDiscovery(state: MemoryState, args: Parameters<SyncStore["renewDiscovery"]>[0]): boolean {
  const record = state.discoveries.find((r) => r.id === args.id);
  if (record === undefined || record.status !== "running" || record.owner !== args.owner) return false;
  if (record.leaseExpiresAt.getTime() <= args.now.getTime()) return false;
  record.leaseExpiresAt = new Date(args.now.getTime() + args.leaseMs);
  return true;
}

/** `SyncStore.finishDiscovery`. */
export function finishDiscovery(state: MemoryState, args: FinishArgs): void {
  const record = state.discoveries.find((r) => r.id === args.id);
  if (record === undefined) throw new StoreError(`[memory-store] discovery ${args.id} is unknown`, { retryable: false });
  record.status = args.status;
  record.finishedAt = new Date(args.now);
  record.races = args.races;
  record.newEvents = args.newEvents;
  record.apiCalls = args.apiCalls;
  record.error = args.error === undefined ? null : copy(args.error);
}

/** `SyncStore.lastDiscoveries`: the latest record per connection, by start then creation. */
export function lastDiscoveries(state: MemoryState, args?: { readonly connectionIds?: readonly string[] }): DiscoveryRecord[] {
  const latest = new Map<string, MutableDiscovery>();
  for (const record of state.discoveries) {
    if (args?.connectionIds !== undefined && !args.connectionIds.includes(record.connectionId)) continue;
    const current = latest.get(record.connectionId);
    const newer =
      current === undefined ||
      record.startedAt.getTime() > current.startedAt.getTime() ||
      (record.startedAt.getTime() === current.startedAt.getTime() && record.seq > current.seq);
    if (newer) latest.set(record.connectionId, record);
  }
  return [...latest.values()].sort((a, b) => (a.connectionId < b.connectionId ? -1 : 1)).map(publicRecord);
}
