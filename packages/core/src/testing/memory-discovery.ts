import { StoreError } from "../errors.js";
import type { DiscoveryRecord, SyncStore } from "../store.js";
import { abandonedError, copy, type MemoryState, type MutableDiscovery } from "./memory-state.js";

type BeginArgs = Parameters<SyncStore["beginDiscovery"]>[0];
type FinishArgs = Parameters<SyncStore["finishDiscovery"]>[0];

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
