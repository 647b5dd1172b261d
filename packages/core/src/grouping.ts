import type { ResolvedSchedule } from "./options.js";
import type { PassPlan } from "./pass.js";
import { raceKinds } from "./estimate.js";
import type { StoredEvent } from "./store.js";
import type { PassKind } from "./types.js";

/**
 * Turns claimed events into passes. Due events of one race share one pass per kind, so one
 * adapter call (RunSignUp: `event_id` CSV) covers them all; backfills are further split by their
 * keyset position, since only events at the same position can resume together. A race that fits
 * in one page of its adapter (`pageSize`) is read whole: its incremental passes become
 * reconciliations (`readsWhole`).
 */
export function groupIntoPasses(
  events: readonly StoredEvent[],
  now: Date,
  schedule: ResolvedSchedule,
  forceFull = false,
  pageSize?: number,
): PassPlan[] {
  const groups = new Map<string, PassPlan & { events: StoredEvent[] }>();
  const { kinds } = raceKinds(events, now, schedule, pageSize);
  for (const [i, event] of events.entries()) {
    let kind = kinds[i] as PassKind;
    if (forceFull && kind === "incremental") kind = "reconcile";
    const position = kind === "backfill" ? (event.state.backfillAfter ?? "") : "";
    const groupKey = `${event.provider}\u0000${event.raceId}\u0000${kind}\u0000${position}`;
    const group = groups.get(groupKey);
    if (group === undefined) groups.set(groupKey, { kind, raceId: event.raceId, provider: event.provider, events: [event] });
    else group.events.push(event);
  }
  return [...groups.values()];
}

/** The events of one race, as claimed together. */
export function byRace(events: readonly StoredEvent[]): StoredEvent[][] {
  const races = new Map<string, StoredEvent[]>();
  for (const event of events) {
    const raceKey = `${event.provider}\u0000${event.raceId}`;
    const list = races.get(raceKey);
    if (list === undefined) races.set(raceKey, [event]);
    else list.push(event);
  }
  return [...races.values()];
}
