import type { EventEmitter } from "eventemitter3";
import { safeEmit } from "./emitter.js";
import type { PurgeResult } from "./engine-types.js";
import { ConfigError } from "./errors.js";
import type { EngineEventArgs } from "./events.js";
import type { ResolvedOptions } from "./options.js";

const DAY_MS = 86_400_000;
/** Batch size of a `purge({ days })` on an engine without configured retention. */
const DEFAULT_BATCH = 1000;
/** Safety stop: a purge never loops forever on a store that keeps answering a full batch. */
const MAX_BATCHES = 1_000_000;

/** Runs retention: on demand (`purge`) and, when configured, once a day from the engine's loop. */
export interface Retention {
  purge(days?: number): Promise<PurgeResult>;
  /** Purges when retention is configured and the last purge of this process is a day old. */
  maybeRun(): Promise<void>;
}

/**
 * Anonymisation runs as many short store transactions (`batchSize` rows each) as it takes, so a
 * first purge over years of registrations never holds row locks for long while syncs write.
 * Every process of a deployment may run it: a row already anonymised is not counted again.
 */
export function createRetention(deps: { readonly options: ResolvedOptions; readonly emitter: EventEmitter<EngineEventArgs> }): Retention {
  const { options, emitter } = deps;
  const { store, clock } = options;
  let lastRunAt = -Infinity;

  async function purge(days?: number): Promise<PurgeResult> {
    const keepDays = days ?? options.retention?.days;
    if (keepDays === undefined || !Number.isInteger(keepDays) || keepDays <= 0) {
      throw new ConfigError(
        days === undefined ? "[core] purge: no retention is configured (retention.days)" : `[core] purge: days must be a positive whole number, got ${days}`,
        [{ path: "retention.days", message: days === undefined ? "required" : "must be a positive whole number" }],
      );
    }
    const limit = options.retention?.batchSize ?? DEFAULT_BATCH;
    const now = clock.now();
    const endedBefore = new Date(now.getTime() - keepDays * DAY_MS);
    let anonymised = 0;
    let batches = 0;
    for (; batches < MAX_BATCHES; ) {
      const result = await store.anonymiseEnded({ now: clock.now(), endedBefore, limit });
      batches++;
      anonymised += result.anonymised;
      if (result.anonymised < limit) break;
    }
    lastRunAt = now.getTime();
    const out = { endedBefore, anonymised, batches };
    if (anonymised > 0) safeEmit(emitter, "privacy:anonymised", out);
    return out;
  }

  return {
    purge,
    async maybeRun() {
      if (options.retention === null) return;
      if (clock.now().getTime() - lastRunAt < DAY_MS) return;
      // Set before the work: a failing store must not make every loop round try again.
      lastRunAt = clock.now().getTime();
      await purge();
    },
  };
}
