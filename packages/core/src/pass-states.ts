import type { ResolvedSchedule } from "./options.js";
import { reconcileDueAfter, removalsDueAfter, scheduleAfter, tierAt } from "./policy.js";
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
      const next = scheduleAfter(event, at, schedule, null);
      return { ...patch, tier: next.tier, priority: next.priority, nextDueAt: null, reconcileDueAt: null };
    }
    const next = scheduleAfter(event, at, schedule, reconcileDueAt, event.state.nextDueAt);
    return { ...patch, reconcileDueAt, tier: next.tier, priority: next.priority, nextDueAt: next.nextDueAt };
  });
}

/** A state with a patch's present fields applied (absent fields stay), as a store applies it. */
export function patchedState(state: SyncState, patch: SyncStatePatch | undefined): SyncState {
  if (patch === undefined) return state;
  const next: Record<string, unknown> = { ...state };
  for (const [field, value] of Object.entries(patch)) if (field !== "eventId" && value !== undefined) next[field] = value;
  return next as unknown as SyncState;
}
