// History retention types of `SyncStore` (store.ts): pruning runs and status changes.

/** One batch of history pruning; a `null` cutoff keeps that table whole. */
export interface PruneHistoryArgs {
  readonly now: Date;
  /** Finished runs that started before this instant are deleted (a running one never is). */
  readonly runsBefore: Date | null;
  /** Registration status changes recorded before this instant are deleted. */
  readonly statusChangesBefore: Date | null;
  /** At most this many rows of each table in this call, so one call never holds locks for long. */
  readonly batchSize: number;
}

/** Rows one `pruneHistory` call deleted. */
export interface PruneHistoryResult {
  readonly runs: number;
  readonly statusChanges: number;
}

/**
 * What pruning removed from one event's history, kept forever (one row per event): a run of
 * several events counts for each of them, with its calls and rows.
 */
export interface EventHistorySummary {
  readonly provider: string;
  readonly eventId: string;
  readonly runs: number;
  readonly failedRuns: number;
  readonly apiCalls: number;
  readonly rowsInserted: number;
  readonly rowsUpdated: number;
  readonly rowsRemoved: number;
  /** Start of the earliest and latest pruned run; null when no run was pruned. */
  readonly firstRunAt: Date | null;
  readonly lastRunAt: Date | null;
  /** Registration status changes pruned. */
  readonly statusChanges: number;
}
