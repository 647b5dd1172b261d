import type { ResolvedSchedule } from "./options.js";
import { allowedIntervalMs, LATE_SHARE, reconcileDueAfter, removalsDueAfter, scheduleAfter, tierAt } from "./policy.js";
import type { StoredEvent, SyncState, SyncStatePatch } from "./store.js";
import type { PassKind } from "./types.js";

/** What a successful pass did, as far as the next schedule is concerned. */
export interface PassOutcome {
  readonly kind: PassKind;
  /** The signpost: the instant taken before the pass's first request. */
  readonly signpost: Date;
  /** The cursor to commit (the signpost, or an earlier attempt's for a resumed backfill). */
  readonly cursorAt: Date;
  /**
   * The removal feed's new cursor: the signpost moved back by the provider clock's skew when this
   * host runs ahead (default: the signpost).
   */
  readonly removalsCursorAt?: Date | undefined;
  readonly removalsRan: boolean;
  /** A backfill that resumed after a crash: it could not see every row, so it is no reconciliation. */
  readonly resumed: boolean;
  /**
   * When the pass commits (default: the signpost), which is when its data was read. A pass that
   * waited long for the budget counts its next turn from it (see `finishStates`).
   */
  readonly committedAt?: Date | undefined;
}

/**
 * The state each event moves to when its pass commits: the new cursor, the removal feed's
 * cursor and cadence, backfill and reconciliation bookkeeping, and the next due instant from the
 * tier policy. An event past `done` whose final reconciliation just ran is never due again.
 */
export function finishStates(events: readonly StoredEvent[], outcome: PassOutcome, schedule: ResolvedSchedule): SyncStatePatch[] {
  const at = outcome.signpost;
  return events.map((event) => {
    const reconciled = outcome.kind === "reconcile" || (outcome.kind === "backfill" && !outcome.resumed);
    let reconcileDueAt = event.state.reconcileDueAt;
    if (reconciled) reconcileDueAt = reconcileDueAfter(event, at, schedule);
    else if (outcome.kind === "backfill") reconcileDueAt = at; // resumed: reconcile right after

    const patch: { -readonly [K in keyof SyncStatePatch]: SyncStatePatch[K] } = { eventId: event.eventId, cursorAt: outcome.cursorAt };
    if (outcome.removalsRan) {
      patch.removalsCursorAt = outcome.removalsCursorAt ?? at;
      patch.removalsDueAt = removalsDueAfter(event, at, schedule);
    }
    if (outcome.kind === "backfill") {
      patch.backfillAfter = null;
      patch.backfilledAt = at;
    }
    if (reconciled) patch.lastReconciledAt = at;

    const done = tierAt(event, at, schedule).index < 0;
    if (done && reconciled) {
      const next = scheduleAfter(event, at, schedule);
      return { ...patch, tier: next.tier, priority: next.priority, nextDueAt: null, reconcileDueAt: null };
    }
    // A pass that waited long for the budget (more than `LATE_SHARE` of its interval from signpost
    // to commit) counts its turn from the commit: from the signpost, long past, it would be due
    // again at once and read the race a second time. A planned reconciliation counts from the
    // signpost, so one planned "right after" (a resumed backfill) is due by the time this pass began.
    const committed = outcome.committedAt ?? at;
    const waited = committed.getTime() - at.getTime() > allowedIntervalMs(event, at, schedule) * LATE_SHARE;
    const next = scheduleAfter(event, waited ? committed : at, schedule, event.state.nextDueAt);
    let nextDueAt = next.nextDueAt;
    if (nextDueAt !== null && reconcileDueAt !== null)
      nextDueAt = new Date(Math.min(nextDueAt.getTime(), Math.max(reconcileDueAt.getTime(), at.getTime())));
    return { ...patch, reconcileDueAt, tier: next.tier, priority: next.priority, nextDueAt };
  });
}

/** A state with a patch's present fields applied (absent fields stay), as a store applies it. */
export function patchedState(state: SyncState, patch: SyncStatePatch | undefined): SyncState {
  if (patch === undefined) return state;
  const next: Record<string, unknown> = { ...state };
  for (const [field, value] of Object.entries(patch)) if (field !== "eventId" && value !== undefined) next[field] = value;
  return next as unknown as SyncState;
}
