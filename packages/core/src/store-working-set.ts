// The working-set and summary reads of `SyncStore` (store.ts), kept apart to keep that file small.

/**
 * Which events `listWorkingSet` returns: every event not done (`nextDueAt` set), plus done events
 * that ended (or, without an end, started) at or after `recentSince`. Years of finished events
 * stay out, so the read costs the same in the fifth season as in the first.
 */
export interface WorkingSetArgs {
  readonly recentSince: Date;
  /** Only events of these providers (all when absent). */
  readonly providers?: readonly string[] | undefined;
  /** At most this many events, earliest start first (all of them when absent). */
  readonly limit?: number | undefined;
}

/** Totals over every stored event, aggregated by the store (never by loading the events). */
export interface EventSummary {
  /** Events known. */
  readonly events: number;
  /** Events whose syncing is over (`nextDueAt` null). */
  readonly done: number;
  /** Registrations with status `active`, across every event. */
  readonly activeRegistrations: number;
}
