/** An in-process counting semaphore, so one process queues locally instead of polling the store. */
export interface Semaphore {
  acquire(signal?: AbortSignal): Promise<void>;
  release(): void;
  readonly held: number;
}

/** A semaphore with `permits` permits, waiters served first come, first served. */
export function createSemaphore(permits: number): Semaphore {
  let held = 0;
  const waiters: { resolve: () => void; reject: (reason: unknown) => void; signal?: AbortSignal | undefined; onAbort: () => void }[] = [];
  return {
    get held() {
      return held;
    },
    acquire(signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (held < permits && waiters.length === 0) {
        held++;
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        const waiter = {
          resolve,
          reject,
          signal,
          onAbort: () => {
            const i = waiters.indexOf(waiter);
            if (i >= 0) waiters.splice(i, 1);
            reject(signal?.reason);
          },
        };
        signal?.addEventListener("abort", waiter.onAbort, { once: true });
        waiters.push(waiter);
      });
    },
    release() {
      const next = waiters.shift();
      if (next === undefined) {
        held = Math.max(0, held - 1);
        return;
      }
      next.signal?.removeEventListener("abort", next.onAbort);
      next.resolve();
    },
  };
}
