import type { EventEmitter } from "eventemitter3";
import { safeEmit } from "./emitter.js";
import type { EngineEventArgs } from "./events.js";
import type { ResolvedOptions } from "./options.js";

/** Prunes the engine's own history in small batches while the loop runs. */
export interface HistoryPruner {
  /**
   * Prunes one batch when due: every `history.everyMs`, and again on the next loop round while
   * the last batch came back full (a backlog, such as the first prune after an upgrade, drains
   * a batch per round instead of in one long transaction).
   */
  maybePrune(): Promise<void>;
}

/** Creates the pruner; it never prunes when both ages are null. */
export function createHistoryPruner(deps: {
  readonly options: ResolvedOptions;
  readonly emitter: EventEmitter<EngineEventArgs>;
}): HistoryPruner {
  const { store, clock, history } = deps.options;
  let nextAt = -Infinity;
  return {
    async maybePrune() {
      if (history.runsMaxAgeMs === null && history.statusChangesMaxAgeMs === null) return;
      const now = clock.now();
      if (now.getTime() < nextAt) return;
      // Set before the call: a failing store is retried at the next interval, not every round.
      nextAt = now.getTime() + history.everyMs;
      const before = (age: number | null) => (age === null ? null : new Date(now.getTime() - age));
      const result = await store.pruneHistory({
        now,
        runsBefore: before(history.runsMaxAgeMs),
        statusChangesBefore: before(history.statusChangesMaxAgeMs),
        batchSize: history.batchSize,
      });
      if (result.runs >= history.batchSize || result.statusChanges >= history.batchSize) nextAt = now.getTime();
      if (result.runs + result.statusChanges > 0) {
        safeEmit(deps.emitter, "history:pruned", { ...result, durationMs: clock.now().getTime() - now.getTime() });
      }
    },
  };
}
