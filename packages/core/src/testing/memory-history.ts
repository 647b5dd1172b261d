import type { EventHistorySummary, PruneHistoryArgs, PruneHistoryResult } from "../store.js";
import { compareIds, copy, key, type MemoryState } from "./memory-state.js";

type MutableSummary = { -readonly [K in keyof EventHistorySummary]: EventHistorySummary[K] };

function summaryOf(state: MemoryState, provider: string, eventId: string): MutableSummary {
  const k = key(provider, eventId);
  let summary = state.histories.get(k);
  if (summary === undefined) {
    summary = {
      provider,
      eventId,
      runs: 0,
      failedRuns: 0,
      apiCalls: 0,
      rowsInserted: 0,
      rowsUpdated: 0,
      rowsRemoved: 0,
      firstRunAt: null,
      lastRunAt: null,
      statusChanges: 0,
    };
    state.histories.set(k, summary);
  }
  return summary;
}

/**
 * `SyncStore.pruneHistory`: the oldest finished runs started before the cutoff, at most
 * `batchSize`, folded into their events' summaries. The memory store keeps no status-change
 * history, so it never prunes one.
 */
export function pruneHistory(state: MemoryState, args: PruneHistoryArgs): PruneHistoryResult {
  if (args.runsBefore === null || args.batchSize <= 0) return { runs: 0, statusChanges: 0 };
  const cutoff = args.runsBefore.getTime();
  const old = [...state.runs.values()]
    .filter((run) => run.status !== "running" && run.startedAt.getTime() < cutoff)
    .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime() || a.seq - b.seq)
    .slice(0, args.batchSize);
  for (const run of old) {
    for (const eventId of new Set(run.eventIds)) {
      const s = summaryOf(state, run.provider, eventId);
      s.runs += 1;
      if (run.status === "failed") s.failedRuns += 1;
      s.apiCalls += run.apiCalls;
      s.rowsInserted += run.rowsInserted;
      s.rowsUpdated += run.rowsUpdated;
      s.rowsRemoved += run.rowsRemoved;
      if (s.firstRunAt === null || run.startedAt < s.firstRunAt) s.firstRunAt = new Date(run.startedAt);
      if (s.lastRunAt === null || run.startedAt > s.lastRunAt) s.lastRunAt = new Date(run.startedAt);
    }
    state.runs.delete(run.id);
  }
  return { runs: old.length, statusChanges: 0 };
}

/** `SyncStore.listHistorySummaries`, ordered by event id. */
export function listHistorySummaries(
  state: MemoryState,
  args: { readonly provider: string; readonly eventIds?: readonly string[] | undefined },
): EventHistorySummary[] {
  const wanted = args.eventIds === undefined ? null : new Set(args.eventIds);
  return [...state.histories.values()]
    .filter((s) => s.provider === args.provider && (wanted === null || wanted.has(s.eventId)))
    .sort((a, b) => compareIds(a.eventId, b.eventId))
    .map((s) => copy(s));
}
