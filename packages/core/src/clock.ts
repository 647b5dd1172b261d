/** Handle returned by `Clock.setTimeout`. */
export interface TimerHandle {
  readonly id: number | object;
}

/**
 * Core's only source of time. Nothing in core, a store or an adapter decides with `Date.now()`:
 * the engine passes `now` down, and tests swap in `ManualClock` so an hour of schedule runs in
 * milliseconds.
 */
export interface Clock {
  /** The current instant. */
  now(): Date;
  /** Calls `fn` once after `ms` milliseconds of this clock's time. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /** Resolves after `ms` of this clock's time; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Sleeps on any clock through its `setTimeout`, honouring an AbortSignal. */
export function sleepOn(clock: Pick<Clock, "setTimeout" | "clearTimeout">, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The real clock. Its timers keep the process alive, as a pending sync should. */
export const systemClock: Clock = {
  now: () => new Date(),
  setTimeout(fn, ms) {
    return { id: setTimeout(fn, ms) };
  },
  clearTimeout(handle) {
    clearTimeout(handle.id as ReturnType<typeof setTimeout>);
  },
  sleep(ms, signal) {
    return sleepOn(systemClock, ms, signal);
  },
};
