import type { ClaimArgs, StoredEvent, SyncStore } from "../store.js";
import type { EventRef } from "../types.js";
import {
  abandonedError,
  holdsLease,
  isLeased,
  key,
  seesUsably,
  toStoredEvent,
  type MemoryState,
  type MutableState,
} from "./memory-state.js";

type ClaimEventsArgs = Parameters<SyncStore["claimEvents"]>[0];
type RenewArgs = Parameters<SyncStore["renewLeases"]>[0];
type ReleaseArgs = Parameters<SyncStore["releaseLeases"]>[0];

/** Lower priority first, then the earlier due instant: the claim order of the contract. */
function urgency(a: MutableState, b: MutableState): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  const da = a.nextDueAt?.getTime() ?? Infinity;
  const db = b.nextDueAt?.getTime() ?? Infinity;
  if (da !== db) return da - db;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}

/**
 * Leases the event to `owner`. A previous owner whose lease expired died (or stopped renewing)
 * mid-pass: its runs on this event still say `running`, so they are closed as abandoned, at the
 * instant the lease expired.
 */
function lease(state: MemoryState, sync: MutableState, owner: string, now: Date, leaseMs: number): void {
  const previous = sync.leaseOwner;
  const expiredAt = sync.leaseExpiresAt;
  if (previous !== null && expiredAt !== null && expiredAt.getTime() <= now.getTime()) {
    for (const run of state.runs.values()) {
      if (run.status !== "running" || run.owner !== previous || run.provider !== sync.provider || !run.eventIds.includes(sync.eventId))
        continue;
      run.status = "abandoned";
      run.finishedAt = new Date(expiredAt);
      run.error = abandonedError("run", previous);
    }
  }
  sync.leaseOwner = owner;
  sync.leaseExpiresAt = new Date(now.getTime() + leaseMs);
}

/**
 * `SyncStore.claimDue`. An event leased by anyone (the caller included) is skipped until the
 * lease expires, so two calls, even from one owner, never return the same event.
 */
export function claimDue(state: MemoryState, args: ClaimArgs): StoredEvent[] {
  const now = args.now.getTime();
  const alongBy = now + Math.max(0, args.alongWithinMs ?? 0);
  const byRace = new Map<string, MutableState[]>();
  // A set, and each event's own few connections checked against it: with many partners, testing
  // every named connection against every due event made each claim O(events x connections).
  const wanted = args.connectionIds === undefined ? null : new Set(args.connectionIds);
  for (const sync of state.states.values()) {
    if (sync.nextDueAt === null || sync.nextDueAt.getTime() > alongBy) continue;
    if (isLeased(sync, args.now)) continue;
    if (args.providers !== undefined && !args.providers.includes(sync.provider)) continue;
    if (wanted !== null) {
      const eventKey = key(sync.provider, sync.eventId);
      const seers = state.connectionsByEvent.get(eventKey) ?? [];
      if (![...seers].some((id) => wanted.has(id) && seesUsably(state, eventKey, id))) continue;
    }
    const raceKey = key(sync.provider, sync.raceId);
    const list = byRace.get(raceKey);
    if (list === undefined) byRace.set(raceKey, [sync]);
    else list.push(sync);
  }
  // A race is chosen, and ordered, by its events due now; the ones falling due soon come along.
  const dueNow = (sync: MutableState) => (sync.nextDueAt as Date).getTime() <= now;
  // Each race's list sorted once: its first event due now is its most urgent, and the claim's order.
  const races = [...byRace.values()]
    .map((list) => ({ list, first: list.sort(urgency).find(dueNow) }))
    .filter((r): r is { list: MutableState[]; first: MutableState } => r.first !== undefined);
  races.sort((a, b) => urgency(a.first, b.first));
  const claimed: StoredEvent[] = [];
  for (const { list } of races.slice(0, Math.max(0, args.maxRaces))) {
    for (const sync of list) {
      lease(state, sync, args.owner, args.now, args.leaseMs);
      claimed.push(toStoredEvent(state, key(sync.provider, sync.eventId)));
    }
  }
  return claimed;
}

/** `SyncStore.claimEvents`: leases the given events unless another owner holds them. */
export function claimEvents(state: MemoryState, args: ClaimEventsArgs): StoredEvent[] {
  const claimed: StoredEvent[] = [];
  for (const ref of args.refs) {
    const eventKey = key(ref.provider, ref.eventId);
    const sync = state.states.get(eventKey);
    if (sync === undefined) continue;
    if (isLeased(sync, args.now) && sync.leaseOwner !== args.owner) continue;
    lease(state, sync, args.owner, args.now, args.leaseMs);
    claimed.push(toStoredEvent(state, eventKey));
  }
  return claimed;
}

/** `SyncStore.renewLeases`: an expired lease counts as lost even if nobody took it yet. */
export function renewLeases(state: MemoryState, args: RenewArgs): EventRef[] {
  const lost: EventRef[] = [];
  for (const ref of args.refs) {
    const sync = state.states.get(key(ref.provider, ref.eventId));
    if (sync === undefined || !holdsLease(sync, args.owner, args.now)) {
      lost.push({ provider: ref.provider, eventId: ref.eventId });
      continue;
    }
    sync.leaseExpiresAt = new Date(args.now.getTime() + args.leaseMs);
  }
  return lost;
}

/** `SyncStore.releaseLeases`: only the owner's own leases are released. */
export function releaseLeases(state: MemoryState, args: ReleaseArgs): void {
  for (const ref of args.refs) {
    const sync = state.states.get(key(ref.provider, ref.eventId));
    if (sync !== undefined && sync.leaseOwner === args.owner) {
      sync.leaseOwner = null;
      sync.leaseExpiresAt = null;
    }
  }
}
