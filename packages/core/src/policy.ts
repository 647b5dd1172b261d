import { DONE_TIER, type ResolvedSchedule, type ResolvedTier } from "./options.js";
import type { SyncState } from "./store.js";
import type { PassKind, TierName } from "./types.js";

/**
 * The tier policy. Every boundary is an instant computed from the event's UTC start, never from
 * a wall-clock string: an 08:30 America/Denver start in July (14:30 UTC) enters a 4-hour tier at
 * 10:30 UTC whatever the zone or the daylight-saving season.
 */

/**
 * An event's timing as the policy reads it: its start and, when the provider gives one, its end
 * (multi-day, virtual and relay events). A bare `Date` is a start with no end.
 */
export type EventTiming = Date | { readonly startsAt: Date; readonly endsAt?: Date | null | undefined };

function startMs(timing: EventTiming): number {
  return timing instanceof Date ? timing.getTime() : timing.startsAt.getTime();
}

/**
 * The instant syncing stops: `stopAfterStartMs` after the event's end when it has one (an event
 * running for days stays in the most urgent tier while it runs), otherwise after its start.
 */
export function stopInstant(timing: EventTiming, schedule: ResolvedSchedule): number {
  const start = startMs(timing);
  const end = timing instanceof Date ? null : (timing.endsAt?.getTime() ?? null);
  return Math.max(start, end ?? start) + schedule.stopAfterStartMs;
}

/** Where an event stands at one instant. */
export interface TierAt {
  /** Index into `schedule.tiers`, or -1 once syncing has stopped (`done`). */
  readonly index: number;
  readonly name: TierName;
  /** Sync interval of the tier; null at `done`. */
  readonly everyMs: number | null;
}

/**
 * The tier of an event, seen at `at`: by the time until its start, the most urgent tier from the
 * start until `stopAfterStartMs` after its end (or start, without an end), then `done`.
 */
export function tierAt(timing: EventTiming, at: Date, schedule: ResolvedSchedule): TierAt {
  const untilStart = startMs(timing) - at.getTime();
  if (at.getTime() >= stopInstant(timing, schedule)) return { index: -1, name: DONE_TIER, everyMs: null };
  const tiers = schedule.tiers;
  for (let i = 0; i < tiers.length; i++) {
    const tier = tiers[i] as ResolvedTier;
    if (tier.withinMs === undefined || untilStart <= tier.withinMs) return { index: i, name: tier.name, everyMs: tier.everyMs };
  }
  // Beyond the widest bounded tier when every tier is bounded: the last tier's cadence still applies.
  const last = tiers[tiers.length - 1] as ResolvedTier;
  return { index: tiers.length - 1, name: last.name, everyMs: last.everyMs };
}

/**
 * The first instant after `at` where the event changes tier: entering a more urgent tier
 * (`startsAt - withinMs`) or stopping (`stopInstant`). Null once done.
 */
export function nextBoundary(timing: EventTiming, at: Date, schedule: ResolvedSchedule): Date | null {
  const t = at.getTime();
  const s = startMs(timing);
  let best: number | null = null;
  const consider = (instant: number): void => {
    if (instant > t && (best === null || instant < best)) best = instant;
  };
  for (const tier of schedule.tiers) if (tier.withinMs !== undefined) consider(s - tier.withinMs);
  consider(stopInstant(timing, schedule));
  return best === null ? null : new Date(best);
}

/**
 * Claim order (lower first): the most urgent tier is 0, a backfill 1, then the other tiers in
 * order, and the final reconciliation of a finished event last. Derived from the tier index so
 * custom tiers keep the same shape.
 */
export function priorityOf(tierIndex: number, schedule: ResolvedSchedule): number {
  if (tierIndex < 0) return schedule.tiers.length + 1;
  return tierIndex === 0 ? 0 : tierIndex + 1;
}

/** Priority of a backfill: right after the most urgent tier. */
export const BACKFILL_PRIORITY = 1;

/**
 * The claim priority an event has at `at`: its tier's once its first full pull has committed;
 * before that a backfill's, or the most urgent tier's when the event is already in it (a race
 * found on race morning has no registrations at all: its backfill must not wait behind the
 * high tier's passes of races that have them). The one rule the scheduler, a pass's budget
 * queue, discovery, the budget watch and `plan` share.
 */
export function currentPriority(timing: EventTiming, backfilled: boolean, at: Date, schedule: ResolvedSchedule): number {
  const tierPriority = priorityOf(tierAt(timing, at, schedule).index, schedule);
  return backfilled ? tierPriority : Math.min(BACKFILL_PRIORITY, tierPriority);
}

/**
 * A stored event's priority at `at` (the stored one may predate a tier change): `currentPriority`
 * with the event's own backfill state.
 */
export function eventPriority(
  event: EventTiming & { readonly state: Pick<SyncState, "backfilledAt"> },
  at: Date,
  schedule: ResolvedSchedule,
): number {
  return currentPriority(event, event.state.backfilledAt !== null, at, schedule);
}

/** The scheduling fields an event moves to after a pass at `at`. */
export interface NextSchedule {
  readonly tier: TierName;
  readonly priority: number;
  readonly nextDueAt: Date | null;
}

/** A pass that starts more than this share of its tier's interval after it fell due is late. */
export const LATE_SHARE = 0.25;

/**
 * A claimed race brings along its events falling due within this share of the most urgent tier's
 * interval: they ride in the same call instead of costing their own a few seconds later, and
 * from then on share their race's turns.
 */
export const ALONG_SHARE = 0.5;

/** How far ahead a claim brings along a race's events (`ALONG_SHARE` of the most urgent interval). */
export function alongWithinMs(schedule: ResolvedSchedule): number {
  return (schedule.tiers[0]?.everyMs ?? 0) * ALONG_SHARE;
}

/**
 * True when `dueAt` is a point of the tier grid or an instant the event enters a tier: a due
 * instant the grid or a boundary set, rather than a turn that a late pass took.
 */
function onGridOrBoundary(timing: EventTiming, dueAt: Date, everyMs: number, schedule: ResolvedSchedule): boolean {
  const t = dueAt.getTime();
  if (t % everyMs === 0) return true;
  const s = startMs(timing);
  return schedule.tiers.some((tier) => tier.withinMs !== undefined && s - tier.withinMs === t);
}

/**
 * When the event is next due after a pass whose signpost is `at`: at most one tier interval later
 * (the next point of the tier's grid), never after the next tier boundary (so it enters a more
 * urgent tier exactly on time). A planned reconciliation can bring it earlier: `finishStates`
 * applies that, with the pass's signpost as its floor.
 *
 * The grid is for passes that ran on time (within `LATE_SHARE` of the interval) at a grid point
 * or a tier boundary. Any other pass takes a turn: it is next due one full interval after it.
 * - A late pass (the budget binds): the next grid point might be seconds away, and a call then
 *   would bring seconds of news while the races behind it wait.
 * - A pass on time at such a turn: snapping back to the grid would be the same short gap.
 * - An event read early, along with its race (`ALONG_SHARE`): it keeps its race's turn, in the
 *   tier it was due in, instead of falling due again seconds later on its own.
 * - A first pass or a retry, due whenever discovery or a backoff said.
 * Late races so take turns, oldest first, each at the same interval, instead of some every
 * minute and others every second minute; a race keeps its turn until a tier boundary puts it on
 * the grid again.
 */
export function scheduleAfter(timing: EventTiming, at: Date, schedule: ResolvedSchedule, dueAt: Date | null = null): NextSchedule {
  const t = at.getTime();
  // Read early along with its race (a manual sync long before its due is not: it keeps its tier).
  const early =
    dueAt !== null &&
    dueAt.getTime() > t &&
    dueAt.getTime() - t <= alongWithinMs(schedule) &&
    tierAt(timing, dueAt, schedule).everyMs !== null;
  const from = early && dueAt !== null ? dueAt : at;
  const tier = tierAt(timing, from, schedule);
  if (tier.everyMs === null) {
    // Done: the final reconciliation is due now (or has just run: the caller then sets null).
    return { tier: tier.name, priority: priorityOf(-1, schedule), nextDueAt: new Date(at) };
  }
  const onTime =
    dueAt === null ||
    (!early && t - dueAt.getTime() <= tier.everyMs * LATE_SHARE && onGridOrBoundary(timing, dueAt, tier.everyMs, schedule));
  // On the grid (multiples of the tier's interval since the epoch), every event of a race in the
  // same tier falls due at the same instant, so one call keeps covering them all even when they
  // entered the tier at different times.
  let next = onTime ? (Math.floor(t / tier.everyMs) + 1) * tier.everyMs : t + tier.everyMs;
  const boundary = nextBoundary(timing, from, schedule);
  if (boundary !== null) next = Math.min(next, boundary.getTime());
  // Claimed by the priority it has when it falls due: entering a more urgent tier at a boundary,
  // that tier's (the stored one would otherwise wait behind it until the budget watch refreshed).
  const priority = Math.min(priorityOf(tier.index, schedule), priorityOf(tierAt(timing, new Date(next), schedule).index, schedule));
  return { tier: tier.name, priority, nextDueAt: new Date(next) };
}

/**
 * The next daily reconciliation after one at `at`: a day later, not before the event comes
 * within `reconcileWithinMs` of its start, and none once the final reconciliation at `done` will
 * cover it.
 */
export function reconcileDueAfter(timing: EventTiming, at: Date, schedule: ResolvedSchedule): Date | null {
  const s = startMs(timing);
  const next = Math.max(at.getTime() + schedule.reconcileEveryMs, s - schedule.reconcileWithinMs);
  return next >= stopInstant(timing, schedule) ? null : new Date(next);
}

/**
 * When the removal feed is next due after one at `at`: `removalsEveryMs` later, but with every
 * pass (null) within `removalsEveryPassWithinMs` of the start when that is set (not 0), and no
 * later than entering that final window.
 */
export function removalsDueAfter(timing: EventTiming, at: Date, schedule: ResolvedSchedule): Date | null {
  const cadence = at.getTime() + schedule.removalsEveryMs;
  if (schedule.removalsEveryPassWithinMs === 0) return new Date(cadence);
  const everyPassFrom = startMs(timing) - schedule.removalsEveryPassWithinMs;
  if (at.getTime() >= everyPassFrom) return null;
  return new Date(Math.min(cadence, everyPassFrom));
}

/**
 * Whether a pass over events holding `rows` active registrations reads them whole (a
 * reconciliation) instead of incrementally: when the adapter says how many rows a page holds and
 * they fit in one page and within `wholePullMaxRows`, a full pull costs the one call an
 * incremental pull costs and shows removals too, where the incremental pull needs the removal
 * feed's second call. Only where `maxVanishShare` lets two registrations go missing in one pass:
 * a smaller race would have its pulls refused as truncated, and is left to the removal feed.
 */
export function readsWhole(rows: number, pageSize: number | undefined, schedule: ResolvedSchedule): boolean {
  if (pageSize === undefined || schedule.wholePullMaxRows === 0) return false;
  return rows <= Math.min(pageSize, schedule.wholePullMaxRows) && rows * schedule.maxVanishShare >= 2;
}

/** True when the removal feed's cadence has it due in a pass at `now`. */
export function removalsDue(state: SyncState, now: Date): boolean {
  return state.removalsDueAt === null || state.removalsDueAt.getTime() <= now.getTime();
}

/** Which pass an event needs at `now`. */
export function passKindFor(timing: EventTiming, state: SyncState, now: Date, schedule: ResolvedSchedule): PassKind {
  if (state.backfilledAt === null) return "backfill";
  if (tierAt(timing, now, schedule).index < 0) return "reconcile";
  if (state.reconcileDueAt !== null && state.reconcileDueAt.getTime() <= now.getTime()) return "reconcile";
  return "incremental";
}

/** The interval an event's tier allows at `at` (the lowest tier's interval at `done`, for lateness). */
export function allowedIntervalMs(timing: EventTiming, at: Date, schedule: ResolvedSchedule): number {
  const tier = tierAt(timing, at, schedule);
  return tier.everyMs ?? (schedule.tiers[schedule.tiers.length - 1] as ResolvedTier).everyMs;
}
