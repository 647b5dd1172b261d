import type { EventSummary, StoredEvent, WorkingSetArgs } from "../store.js";
import { compareIds, type MemoryState, registrationsOf, toStoredEvent } from "./memory-state.js";

function byStart(a: StoredEvent, b: StoredEvent): number {
  return a.startsAt.getTime() - b.startsAt.getTime() || compareIds(a.provider, b.provider) || compareIds(a.eventId, b.eventId);
}

/** `SyncStore.listWorkingSet`: events not done, plus done ones that ended at or after `recentSince`. */
export function listWorkingSet(state: MemoryState, args: WorkingSetArgs): StoredEvent[] {
  const providers = args.providers === undefined ? null : new Set(args.providers);
  const since = args.recentSince.getTime();
  const keys: string[] = [];
  for (const [k, event] of state.events) {
    if (providers !== null && !providers.has(event.provider)) continue;
    const sync = state.states.get(k);
    if (sync === undefined) continue;
    const endedAt = (event.endsAt ?? event.startsAt).getTime();
    if (sync.nextDueAt !== null || endedAt >= since) keys.push(k);
  }
  const out = keys.map((k) => toStoredEvent(state, k)).sort(byStart);
  return args.limit === undefined ? out : out.slice(0, Math.max(0, args.limit));
}

/** `SyncStore.summarizeEvents`. */
export function summarizeEvents(state: MemoryState, args?: { readonly providers?: readonly string[] | undefined }): EventSummary {
  const providers = args?.providers === undefined ? null : new Set(args.providers);
  let events = 0;
  let done = 0;
  let activeRegistrations = 0;
  for (const [k, event] of state.events) {
    if (providers !== null && !providers.has(event.provider)) continue;
    events++;
    if (state.states.get(k)?.nextDueAt === null) done++;
    for (const reg of registrationsOf(state, k)) if (reg.status === "active") activeRegistrations++;
  }
  return { events, done, activeRegistrations };
}
