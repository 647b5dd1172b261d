/** An in-process counting semaphore, so one process queues locally instead of polling the store. */
export interface Semaphore {
  /**
   * Waits for a permit; lower `priority` is served first, then first come, first served. A
   * function is asked at each release, so a waiter whose work became more urgent moves up.
   */
  acquire(signal?: AbortSignal, priority?: number | (() => number)): Promise<void>;
  release(): void;
  readonly held: number;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly priority: () => number;
  readonly seq: number;
  onAbort: () => void;
}

/** A semaphore with `permits` permits. */
export function createSemaphore(permits: number): Semaphore {
  let held = 0;
  let seq = 0;
  const waiters: Waiter[] = [];
  return {
    get held() {
      return held;
    },
    acquire(signal, priority = 0) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (held < permits && waiters.length === 0) {
        held++;
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        const rank = typeof priority === "function" ? priority : () => priority;
        const waiter: Waiter = { resolve, reject, signal, priority: rank, seq: seq++, onAbort: () => undefined };
        waiter.onAbort = () => {
          const i = waiters.indexOf(waiter);
          if (i >= 0) waiters.splice(i, 1);
          reject(signal?.reason);
        };
        signal?.addEventListener("abort", waiter.onAbort, { once: true });
        waiters.push(waiter);
      });
    },
    release() {
      if (waiters.length === 0) {
        held = Math.max(0, held - 1);
        return;
      }
      let best = 0;
      let bestRank = (waiters[0] as Waiter).priority();
      for (let i = 1; i < waiters.length; i++) {
        const rank = (waiters[i] as Waiter).priority();
        if (rank < bestRank) {
          best = i;
          bestRank = rank;
        }
      }
      const [next] = waiters.splice(best, 1) as [Waiter];
      next.signal?.removeEventListener("abort", next.onAbort);
      next.resolve();
    },
  };
}
