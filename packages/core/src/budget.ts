import type { Budget, BudgetSlot } from "./adapter.js";
import type { Clock } from "./clock.js";
import { createSemaphore, type Semaphore } from "./semaphore.js";
import type { BudgetLimits, SyncStore } from "./store.js";

/** What `createBudget` needs. */
export interface CreateBudgetOptions {
  readonly store: SyncStore;
  readonly clock: Clock;
  readonly key: string;
  readonly owner: string;
  readonly limits: BudgetLimits;
  /** A slot not released within this time is freed by the store (its holder is presumed dead). */
  readonly slotTtlMs: number;
  /** In-process gate shared by every budget of this key in this process (defaults to a new one). */
  readonly local?: Semaphore | undefined;
  /** In-process queue for tokens, shared like `local` (defaults to a new one). */
  readonly tokenQueue?: Semaphore | undefined;
  /** Called after each grant (the engine counts a pass's API calls with it). */
  readonly onGrant?: (() => void) | undefined;
}

/**
 * A connection's `Budget` over the store's shared token bucket. `acquire` first takes a local
 * permit (so one process never asks the store for more than `maxInFlight` at once), then a store
 * token and slot; when the store says no, it waits on the engine's clock for as long as the store
 * says and asks again. The local permit is returned only after the store has freed the slot, so
 * a waiter in this process never finds the store's in-flight count still full.
 */
export function createBudget(options: CreateBudgetOptions): Budget {
  const { store, clock, key, owner, limits, slotTtlMs } = options;
  const local = options.local ?? createSemaphore(limits.maxInFlight);
  const tokenQueue = options.tokenQueue ?? createSemaphore(1);
  return {
    async acquire(signal?: AbortSignal): Promise<BudgetSlot> {
      await local.acquire(signal);
      try {
        // One waiter at a time asks the store, first come first served: otherwise whoever wakes
        // first after a refill wins, and an unlucky pass can lose every round and starve.
        await tokenQueue.acquire(signal);
        try {
          for (;;) {
            if (signal?.aborted) throw signal.reason;
            const take = await store.takeBudget({ key, owner, now: clock.now(), limits, slotTtlMs });
            if (take.granted) {
              options.onGrant?.();
              return releaser(store, clock, key, take.slotId, local);
            }
            // A floor of 1 ms keeps a store that answers 0 from spinning without clock time passing.
            await clock.sleep(Math.max(1, take.retryInMs), signal);
          }
        } finally {
          tokenQueue.release();
        }
      } catch (error) {
        local.release();
        throw error;
      }
    },
  };
}

function releaser(store: SyncStore, clock: Clock, key: string, slotId: string, local: Semaphore): BudgetSlot {
  let released = false;
  return {
    release(): void {
      if (released) return;
      released = true;
      store
        .releaseBudget({ key, slotId, now: clock.now() })
        .catch(() => {
          // The slot expires on its own after slotTtlMs; nothing else to do.
        })
        .finally(() => local.release());
    },
  };
}

/** Wraps a budget so every grant also counts toward a pass's `apiCalls`. */
export function countingBudget(budget: Budget): { readonly budget: Budget; calls(): number } {
  let calls = 0;
  return {
    budget: {
      async acquire(signal) {
        const slot = await budget.acquire(signal);
        calls++;
        return slot;
      },
    },
    calls: () => calls,
  };
}
