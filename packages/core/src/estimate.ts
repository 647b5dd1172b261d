import type { ResolvedSchedule } from "./options.js";
import { passKindFor, removalsDue } from "./policy.js";
import type { StoredEvent } from "./store.js";

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
 * API calls the due events of one race need at `now`: one call per pass kind (coalesced), the
 * pages of full pulls estimated from the stored counts, and the removal feed where it is due.
 */
export function callsForRace(events: readonly StoredEvent[], now: Date, schedule: ResolvedSchedule): number {
  const kinds = new Map<string, { rows: number; removals: boolean }>();
  for (const event of events) {
    const kind = passKindFor(event, event.state, now, schedule);
    const entry = kinds.get(kind) ?? { rows: 0, removals: false };
    entry.rows += event.activeRegistrations;
    entry.removals ||= kind === "backfill" || removalsDue(event.state, now);
    kinds.set(kind, entry);
  }
  let calls = 0;
  for (const [kind, entry] of kinds) {
    calls += kind === "incremental" ? 1 : fullPullPages(entry.rows);
    if (entry.removals) calls += 1;
  }
  return calls;
}
