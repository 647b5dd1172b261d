import type { EventEmitter } from "eventemitter3";
import { safeEmit } from "./emitter.js";
import type { PurgeResult } from "./engine-types.js";
import { ConfigError } from "./errors.js";
import type { EngineEventArgs } from "./events.js";
import type { ResolvedOptions } from "./options.js";
import { serializeError } from "./pass-failure.js";

const DAY_MS = 86_400_000;
/** Batch size of a `purge({ days })` on an engine without configured retention. */
const DEFAULT_BATCH = 1000;
/** Safety stop: a purge never loops forever on a store that keeps answering a full batch. */
const MAX_BATCHES = 1_000_000;
/** After a failed background purge, the next try. */
const RETRY_MS = 3_600_000;

/** Runs retention: on demand (`purge`) and, when configured, once a day beside the engine's loop. */
export interface Retention {
  purge(days?: number, signal?: AbortSignal): Promise<PurgeResult>;
  /**
   * Starts a purge in the background when retention is configured and the last one of this
   * process is a day old (an hour after a failed one). Returns at once: a first purge over years
   * of registrations must not hold up race-morning passes.
   */
  maybeRun(): void;
  /** Stops a background purge between two batches and waits for it. */
  stop(): Promise<void>;
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
  let background: Promise<void> | null = null;
  let abort = new AbortController();

  async function purge(days?: number, signal?: AbortSignal): Promise<PurgeResult> {
    const keepDays = days ?? options.retention?.days;
    if (keepDays === undefined || !Number.isInteger(keepDays) || keepDays <= 0) {
      throw new ConfigError(
        days === undefined
          ? "[core] purge: no retention is configured (retention.days)"
          : `[core] purge: days must be a positive whole number, got ${days}`,
        [{ path: "retention.days", message: days === undefined ? "required" : "must be a positive whole number" }],
      );
    }
    const limit = options.retention?.batchSize ?? DEFAULT_BATCH;
    const now = clock.now();
    const endedBefore = new Date(now.getTime() - keepDays * DAY_MS);
    let anonymised = 0;
    let batches = 0;
    while (batches < MAX_BATCHES && signal?.aborted !== true) {
      const result = await store.anonymiseEnded({ now: clock.now(), endedBefore, limit });
      batches++;
      anonymised += result.anonymised;
      if (result.anonymised < limit) break;
    }
    const out = { endedBefore, anonymised, batches };
    if (anonymised > 0) safeEmit(emitter, "privacy:anonymised", out);
    return out;
  }

  return {
    purge,
    maybeRun() {
      if (options.retention === null || background !== null) return;
      const startedAt = clock.now().getTime();
      if (startedAt - lastRunAt < DAY_MS) return;
      lastRunAt = startedAt;
      background = purge(undefined, abort.signal)
        .then(
          () => undefined,
          (error: unknown) => {
            // Try again in an hour rather than tomorrow; say so, as for any error no pass owns.
            lastRunAt = startedAt - DAY_MS + RETRY_MS;
            safeEmit(emitter, "engine:error", { phase: "retention", error: serializeError(error) });
          },
        )
        .finally(() => {
          background = null;
        });
    },
    async stop() {
      abort.abort();
      await background;
      abort = new AbortController();
    },
  };
}
