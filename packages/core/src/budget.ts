import type { Budget, BudgetSlot } from "./adapter.js";
import type { Clock } from "./clock.js";
import { ConnectionPausedError } from "./errors.js";
import { URGENT } from "./dispatch.js";
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
  /**
   * The longest pause of the key a request waits out (default 60 s, a short throttle). A longer
   * one (rejected credentials: an hour) fails the request with `ConnectionPausedError` at once.
   */
  readonly maxPauseWaitMs?: number | undefined;
  /**
   * Tokens a waiter less urgent than the most urgent tier (priority above 0) must leave in the
   * bucket (`TakeBudgetArgs.reserve`; default 0). Such a waiter refused for tokens gives up its
   * turn while the bucket refills, so a more urgent waiter arriving meanwhile asks first.
   */
  readonly urgentReserve?: number | undefined;
}

/** Default `maxPauseWaitMs`: a short throttle is waited out, anything longer is not. */
export const DEFAULT_MAX_PAUSE_WAIT_MS = 60_000;

/**
 * A connection's `Budget` over the store's shared token bucket. `acquire` queues in-process by
 * priority for its turn to ask the store, takes a local permit (so one process never asks the
 * store for more than `maxInFlight` at once), then a store token and slot; when the store says
 * no, it waits on the engine's clock for as long as the store says and asks again. The local permit is returned only after the store has freed the slot, so
 * a waiter in this process never finds the store's in-flight count still full. Every wait takes
 * the caller's signal; a pause longer than `maxPauseWaitMs` is not waited out at all.
 */
export function createBudget(options: CreateBudgetOptions): PrioritizedBudget {
  const { store, clock, key, owner, limits, slotTtlMs } = options;
  const local = options.local ?? createSemaphore(limits.maxInFlight);
  const tokenQueue = options.tokenQueue ?? createSemaphore(1);
  const maxPauseWaitMs = options.maxPauseWaitMs ?? DEFAULT_MAX_PAUSE_WAIT_MS;
  const urgentReserve = options.urgentReserve ?? 0;
  return {
    async acquire(signal?: AbortSignal, priority: number | (() => number) = 0): Promise<BudgetSlot> {
      const reserveNow = () => ((typeof priority === "function" ? priority() : priority) > URGENT ? urgentReserve : 0);
      for (;;) {
        // One waiter at a time asks the store, the most urgent first and then first come, first
        // served: otherwise whoever wakes first after a refill wins (an unlucky pass can lose every
        // round and starve), and a low-tier pass queued early would go before a high-tier one.
        await tokenQueue.acquire(signal, priority);
        let yieldMs: number;
        try {
          await local.acquire(signal, priority);
          try {
            for (;;) {
              if (signal?.aborted) throw signal.reason;
              const reserve = reserveNow();
              const take = await store.takeBudget({ key, owner, now: clock.now(), limits, slotTtlMs, reserve });
              if (take.granted) {
                options.onGrant?.();
                return releaser(store, clock, key, take.slotId, local);
              }
              if (take.reason === "paused" && take.retryInMs > maxPauseWaitMs) {
                const until = new Date(clock.now().getTime() + take.retryInMs);
                throw new ConnectionPausedError(
                  `[core] budget ${key} is paused until ${until.toISOString()}; the request was not sent`,
                  until,
                );
              }
              // A floor of 1 ms keeps a store that answers 0 from spinning without clock time passing.
              if (take.reason === "tokens" && reserve > 0) {
                yieldMs = Math.max(1, take.retryInMs);
                break;
              }
              await clock.sleep(Math.max(1, take.retryInMs), signal);
            }
          } catch (error) {
            local.release();
            throw error;
          }
          local.release();
        } finally {
          tokenQueue.release();
        }
        // Less urgent and short of tokens: wait for the refill without holding the turn.
        await clock.sleep(yieldMs, signal);
      }
    },
  };
}

/** A `Budget` whose waiters can say how urgent they are (lower first; default 0; a function is asked each time the queue moves). */
export interface PrioritizedBudget extends Budget {
  acquire(signal?: AbortSignal, priority?: number | (() => number)): Promise<BudgetSlot>;
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

/** Wraps a budget so every grant counts toward a pass's `apiCalls` and waits at the pass's priority. */
export function countingBudget(budget: PrioritizedBudget, priority: () => number = () => 0): { readonly budget: Budget; calls(): number } {
  let calls = 0;
  return {
    budget: {
      async acquire(signal) {
        // Asked while queued: a pass queued while medium may be serving high-tier events by now.
        const slot = await budget.acquire(signal, priority);
        calls++;
        return slot;
      },
    },
    calls: () => calls,
  };
}
