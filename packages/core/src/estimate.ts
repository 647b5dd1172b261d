import type { ResolvedSchedule } from "./options.js";
import { passKindFor, readsWhole, removalsDue } from "./policy.js";
import type { StoredEvent } from "./store.js";
import type { PassKind } from "./types.js";

/**
 * Rows a full pull is assumed to get per page when estimating calls. Conservative against
 * RunSignUp's 2500, so a forecast errs on the side of "over budget".
 */
export const ESTIMATED_PAGE_ROWS = 1000;

/** Pages a full pull of `rows` registrations takes (at least one). */
export function fullPullPages(rows: number): number {
  return Math.max(1, Math.ceil(rows / ESTIMATED_PAGE_ROWS));
}

/**
 * The kind of pass an event of a race gets at `now`, as `groupIntoPasses` decides it: a race
 * that fits one page of its adapter (`pageSize`) is read whole, its incremental passes being
 * reconciliations. Returns the kinds and whether the race is read whole.
 */
export function raceKinds(
  events: readonly StoredEvent[],
  now: Date,
  schedule: ResolvedSchedule,
  pageSize: number | undefined,
): { readonly kinds: PassKind[]; readonly whole: boolean } {
  const own = events.map((e) => passKindFor(e, e.state, now, schedule));
  // What a whole pull returns: the active registrations of the events past their backfill.
  const rows = events.reduce((n, e, i) => (own[i] === "backfill" ? n : n + e.activeRegistrations), 0);
  const whole = readsWhole(rows, pageSize, schedule);
  return { kinds: whole ? own.map((k) => (k === "incremental" ? "reconcile" : k)) : own, whole };
}

/**
 * API calls the due events of one race need at `now`: one call per pass kind (coalesced), the
 * pages of full pulls estimated from the stored counts (one for a race read whole, which fits a
 * page), and the removal feed where its cadence has it due.
 */
export function callsForRace(events: readonly StoredEvent[], now: Date, schedule: ResolvedSchedule, pageSize?: number): number {
  const kinds = new Map<string, { rows: number; removals: boolean }>();
  const { kinds: kindOf, whole } = raceKinds(events, now, schedule, pageSize);
  for (const [i, event] of events.entries()) {
    const kind = kindOf[i] as PassKind;
    const entry = kinds.get(kind) ?? { rows: 0, removals: false };
    entry.rows += event.activeRegistrations;
    entry.removals ||= kind === "backfill" || removalsDue(event.state, now);
    kinds.set(kind, entry);
  }
  let calls = 0;
  for (const [kind, entry] of kinds) {
    calls += kind === "incremental" || (whole && kind === "reconcile") ? 1 : fullPullPages(entry.rows);
    if (entry.removals) calls += 1;
  }
  return calls;
}
