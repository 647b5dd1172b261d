import { StoreError } from "../errors.js";
import type {
  BudgetLimits,
  DiscoveryRecord,
  EventHistorySummary,
  ForbiddenLink,
  SerializedError,
  StoredEvent,
  StoredRegistration,
  SyncRun,
  SyncState,
  SyncStatePatch,
} from "../store.js";
import type { Race, SyncEvent } from "../types.js";

/** A stored race (without its events, which live in their own map). */
export type RaceRow = Omit<Race, "events"> & { firstSeenAt: Date; updatedAt: Date };

/** A stored event. */
export type EventRow = SyncEvent & { firstSeenAt: Date; updatedAt: Date };

/** A sync state the store may change in place (never handed out: callers get copies). */
export type MutableState = { -readonly [K in keyof SyncState]: SyncState[K] };

/** A run the store may change in place, with the owner whose lease it runs under. */
export type MutableRun = { -readonly [K in keyof SyncRun]: SyncRun[K] } & { seq: number; owner: string };

/** A registration the store may change in place. */
export type MutableRegistration = { -readonly [K in keyof StoredRegistration]: StoredRegistration[K] };

/** A discovery record with the lease that keeps a second caller out. */
export type MutableDiscovery = { -readonly [K in keyof DiscoveryRecord]: DiscoveryRecord[K] } & {
  owner: string;
  leaseExpiresAt: Date;
  seq: number;
};

/** One token bucket. `tokens` is null until the first `takeBudget` tells the store the limits. */
export interface BucketRow {
  tokens: number | null;
  refilledAt: Date;
  /** The limits of the last take (the store learns limits only from `takeBudget`). */
  limits: BudgetLimits | null;
  pausedUntil: Date | null;
  pauseReason: string | null;
  /** slotId → expiry (ms since epoch). */
  slots: Map<string, number>;
  /** Grant instants (ms since epoch), pruned to the last hour. */
  grants: number[];
}

/** Everything the memory store keeps. Plain maps; each method works on them without awaiting. */
export interface MemoryState {
  races: Map<string, RaceRow>;
  events: Map<string, EventRow>;
  connectionsByEvent: Map<string, Set<string>>;
  /** Forbidden links per event key: connection id → the mark. */
  forbiddenByEvent: Map<string, Map<string, ForbiddenLink>>;
  states: Map<string, MutableState>;
  registrations: Map<string, MutableRegistration>;
  /** Registration keys per event key, so counts do not scan every registration. */
  registrationsByEvent: Map<string, Set<string>>;
  runs: Map<string, MutableRun>;
  buckets: Map<string, BucketRow>;
  discoveries: MutableDiscovery[];
  /** Registration keys anonymised since they were last written (retention skips them). */
  anonymised: Set<string>;
  /** Tombstones of `forget`: `tombstone(provider, kind, id)` → when. */
  forgotten: Map<string, Date>;
  /** What pruning removed, per event key. */
  histories: Map<string, { -readonly [K in keyof EventHistorySummary]: EventHistorySummary[K] }>;
  seq: number;
}

/** Map key of a `forget` tombstone. */
export function tombstone(provider: string, kind: "registration" | "user", id: string): string {
  return `${provider}\u0000${kind}\u0000${id}`;
}

/** An empty state. */
export function createMemoryState(): MemoryState {
  return {
    races: new Map(),
    events: new Map(),
    connectionsByEvent: new Map(),
    forbiddenByEvent: new Map(),
    states: new Map(),
    registrations: new Map(),
    registrationsByEvent: new Map(),
    runs: new Map(),
    buckets: new Map(),
    discoveries: [],
    anonymised: new Set(),
    forgotten: new Map(),
    histories: new Map(),
    seq: 0,
  };
}

/** The error recorded on a run or discovery closed as abandoned (its owner's lease expired). */
export function abandonedError(what: "run" | "discovery", owner: string): SerializedError {
  return {
    name: "LeaseLostError",
    code: "LEASE_LOST",
    message: `[memory-store] ${what} abandoned: the lease of ${owner} expired before it finished`,
    retryable: true,
  };
}

/** Map key of a (provider, id) pair; the NUL separator cannot occur in either part by accident. */
export function key(provider: string, id: string): string {
  return `${provider}\u0000${id}`;
}

/** Deep copy for everything handed out, so a caller can never change the store's state. */
export function copy<T>(value: T): T {
  return structuredClone(value);
}

/** A fresh sync state for a newly discovered event: due at once, never backfilled. */
export function newState(event: SyncEvent, now: Date, priority: number): MutableState {
  return {
    provider: event.provider,
    eventId: event.eventId,
    raceId: event.raceId,
    tier: null,
    priority,
    nextDueAt: new Date(now),
    cursorAt: null,
    removalsCursorAt: null,
    removalsDueAt: null,
    backfillAfter: null,
    backfilledAt: null,
    reconcileDueAt: null,
    lastReconciledAt: null,
    lastSuccessAt: null,
    lastError: null,
    failures: 0,
    leaseOwner: null,
    leaseExpiresAt: null,
  };
}

const PATCH_FIELDS = [
  "tier",
  "priority",
  "nextDueAt",
  "cursorAt",
  "removalsCursorAt",
  "removalsDueAt",
  "backfillAfter",
  "backfilledAt",
  "reconcileDueAt",
  "lastReconciledAt",
  "lastError",
  "failures",
] as const;

/** Applies the fields present in a patch; absent (undefined) fields stay as they are. */
export function applyPatch(state: MutableState, patch: SyncStatePatch): void {
  const target = state as Record<string, unknown>;
  for (const field of PATCH_FIELDS) {
    const value = patch[field];
    if (value !== undefined) target[field] = copy(value);
  }
}

/** True when `connectionId` sees the event through a link that is not forbidden. */
export function seesUsably(state: MemoryState, eventKey: string, connectionId: string): boolean {
  return (
    state.connectionsByEvent.get(eventKey)?.has(connectionId) === true && state.forbiddenByEvent.get(eventKey)?.has(connectionId) !== true
  );
}

/** True when `owner` holds an unexpired lease on the state at `now`. */
export function holdsLease(state: MutableState, owner: string, now: Date): boolean {
  return state.leaseOwner === owner && state.leaseExpiresAt !== null && state.leaseExpiresAt.getTime() > now.getTime();
}

/** True when some owner holds an unexpired lease on the state at `now`. */
export function isLeased(state: MutableState, now: Date): boolean {
  return state.leaseOwner !== null && state.leaseExpiresAt !== null && state.leaseExpiresAt.getTime() > now.getTime();
}

/** Stored registrations of one event. */
export function registrationsOf(state: MemoryState, eventKey: string): MutableRegistration[] {
  const keys = state.registrationsByEvent.get(eventKey);
  if (keys === undefined) return [];
  const out: MutableRegistration[] = [];
  for (const k of keys) {
    const reg = state.registrations.get(k);
    if (reg !== undefined) out.push(reg);
  }
  return out;
}

/** Stores a registration and keeps the per-event index in step when it moves between events. */
export function putRegistration(state: MemoryState, reg: MutableRegistration): void {
  const regKey = key(reg.provider, reg.registrationId);
  const previous = state.registrations.get(regKey);
  if (previous !== undefined && previous.eventId !== reg.eventId) {
    state.registrationsByEvent.get(key(previous.provider, previous.eventId))?.delete(regKey);
  }
  state.registrations.set(regKey, reg);
  const eventKey = key(reg.provider, reg.eventId);
  let set = state.registrationsByEvent.get(eventKey);
  if (set === undefined) {
    set = new Set();
    state.registrationsByEvent.set(eventKey, set);
  }
  set.add(regKey);
}

/** The public view of an event: race name and zone, connections, state copy, active count. */
export function toStoredEvent(state: MemoryState, eventKey: string): StoredEvent {
  const event = state.events.get(eventKey);
  const sync = state.states.get(eventKey);
  if (event === undefined || sync === undefined) throw new StoreError(`[memory-store] event ${eventKey} is unknown`);
  const race = state.races.get(key(event.provider, event.raceId));
  let active = 0;
  for (const reg of registrationsOf(state, eventKey)) if (reg.status === "active") active++;
  return {
    provider: event.provider,
    eventId: event.eventId,
    raceId: event.raceId,
    raceName: race?.name ?? "",
    timezone: race?.timezone ?? "UTC",
    name: event.name,
    startsAt: new Date(event.startsAt),
    endsAt: event.endsAt === null ? null : new Date(event.endsAt),
    connectionIds: [...(state.connectionsByEvent.get(eventKey) ?? [])].sort(),
    forbidden: [...(state.forbiddenByEvent.get(eventKey)?.values() ?? [])]
      .sort((a, b) => (a.connectionId < b.connectionId ? -1 : a.connectionId > b.connectionId ? 1 : 0))
      .map(copy),
    state: copy(sync),
    activeRegistrations: active,
  };
}

/**
 * Orders registration ids as a keyset does: all-digit ids numerically (RunSignUp's ids are
 * integers, and "10" must follow "9"), anything else by code point.
 */
export function compareIds(a: string, b: string): number {
  const digits = /^\d+$/;
  if (digits.test(a) && digits.test(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
