import type { Budget, BudgetSlot, CallContext, Race, SkippedRace } from "@project88/core";

/** A test budget: at most `maxInFlight` slots at once, FIFO waiters, counting every grant. */
export interface TestBudget extends Budget {
  readonly granted: number;
  readonly inFlight: number;
  readonly maxHeld: number;
}

export function createTestBudget(maxInFlight = 2): TestBudget {
  let held = 0;
  let granted = 0;
  let maxHeld = 0;
  const waiters: { grant: () => void; reject: (e: unknown) => void; signal?: AbortSignal | undefined }[] = [];
  const slot = (): BudgetSlot => {
    let released = false;
    held++;
    granted++;
    maxHeld = Math.max(maxHeld, held);
    return {
      release() {
        if (released) return;
        released = true;
        held--;
        const next = waiters.shift();
        next?.grant();
      },
    };
  };
  return {
    get granted() {
      return granted;
    },
    get inFlight() {
      return held;
    },
    get maxHeld() {
      return maxHeld;
    },
    acquire(signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (held < maxInFlight) return Promise.resolve(slot());
      return new Promise((resolve, reject) => {
        const waiter = { grant: () => resolve(slot()), reject, signal };
        waiters.push(waiter);
        signal?.addEventListener(
          "abort",
          () => {
            const i = waiters.indexOf(waiter);
            if (i >= 0) waiters.splice(i, 1);
            reject(signal.reason);
          },
          { once: true },
        );
      });
    },
  };
}

/** A call context around a budget (and an optional signal). */
export function callContext(
  budget: Budget = createTestBudget(),
  signal: AbortSignal = new AbortController().signal,
  now: Date = new Date(),
): CallContext {
  return { budget, signal, now };
}

/** Collects every page of an async iterable. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** The races of a `listRaces` result, without the skipped ones. */
export function onlyRaces(items: readonly (Race | SkippedRace)[]): Race[] {
  return items.filter((r): r is Race => !("skipped" in r));
}
