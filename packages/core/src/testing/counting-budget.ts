import type { Budget, BudgetSlot } from "../adapter.js";

/** A `Budget` that grants at once and counts, for adapter tests. */
export interface CountingBudget extends Budget {
  /** Slots granted so far. */
  readonly acquired: number;
  /** Slots released so far. */
  readonly released: number;
  /** Slots granted and not yet released. */
  readonly inFlight: number;
  /** The most slots ever held at once. */
  readonly maxInFlight: number;
  /** Releases counted more than once (an adapter bug). */
  readonly doubleReleases: number;
}

/**
 * Creates an unlimited budget that counts acquisitions and releases, so a test can assert that
 * an adapter charged every request and gave every slot back exactly once. An aborted signal
 * rejects `acquire` with the signal's reason, as the engine's budget does.
 */
export function createCountingBudget(): CountingBudget {
  let acquired = 0;
  let released = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let doubleReleases = 0;
  return {
    get acquired() {
      return acquired;
    },
    get released() {
      return released;
    },
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    get doubleReleases() {
      return doubleReleases;
    },
    acquire(signal?: AbortSignal): Promise<BudgetSlot> {
      if (signal?.aborted) return Promise.reject(signal.reason);
      acquired++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      let done = false;
      return Promise.resolve({
        release() {
          if (done) {
            doubleReleases++;
            return;
          }
          done = true;
          released++;
          inFlight--;
        },
      });
    },
  };
}
