import type { PassResult } from "./engine-types.js";
import type { EngineEvents } from "./events.js";
import type { ResolvedSchedule } from "./options.js";
import { notRunResult } from "./pass-outcome.js";
import { allowedIntervalMs, BACKFILL_PRIORITY, eventPriority, tierAt } from "./policy.js";
import type { StoredEvent } from "./store.js";

/** The scheduler's small decisions about claimed events, as pure functions of the events and the schedule. */

/**
 * Where an event's pass goes among its race's passes: a backfill after the short passes of
 * events that already have their registrations, whatever its tier. (For the lanes, a backfill
 * of an event in the most urgent tier is as urgent as that tier: a race found on race morning
 * has nothing at all, and once the budget binds every ordinary lane is always taken by passes
 * waiting for tokens, so a backfill kept out of the urgent lane would never start.)
 */
export function passOrder(event: StoredEvent, now: Date, schedule: ResolvedSchedule): number {
  return event.state.backfilledAt === null ? BACKFILL_PRIORITY : eventPriority(event, now, schedule);
}

/** The `schedule:late` reports for events starting at `now`: those later than their tier's interval allows. */
export function latenessReports(events: readonly StoredEvent[], now: Date, schedule: ResolvedSchedule): EngineEvents["schedule:late"][] {
  const out: EngineEvents["schedule:late"][] = [];
  for (const event of events) {
    const dueAt = event.state.nextDueAt;
    if (dueAt === null) continue;
    const lateByMs = now.getTime() - dueAt.getTime();
    if (lateByMs <= allowedIntervalMs(event, dueAt, schedule)) continue;
    const tier = event.state.backfilledAt === null ? "backfill" : tierAt(event, dueAt, schedule).name;
    out.push({ provider: event.provider, eventId: event.eventId, raceId: event.raceId, tier, dueAt, lateByMs });
  }
  return out;
}

/** For `syncEvent`: a result saying the race is refused to `refusedBy` (rather than "busy"). */
export function refusedResult(events: readonly StoredEvent[], full: boolean, refusedBy: readonly string[]): PassResult | null {
  const first = events[0];
  if (first === undefined) return null;
  return notRunResult(
    { provider: first.provider, raceId: first.raceId, eventIds: events.map((e) => e.eventId), full },
    {
      name: "ForbiddenError",
      code: "FORBIDDEN",
      message: `[core] ${first.provider} race ${first.raceId} is refused to ${refusedBy.join(", ")} (every connection of this engine that sees it); discovery seeing it again clears that`,
      retryable: false,
    },
  );
}
