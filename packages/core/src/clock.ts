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
    const handle = clock.setTimeout(
      () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * The longest delay one Node timer takes (2^31 - 1 ms, about 24.8 days). Node fires a timer
 * given more after 1 ms, so an unclamped long wait (a far `Retry-After`, a tiny budget) would
 * become a busy loop.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A system timer: the Node timer now armed, replaced as each step of a long delay elapses. */
interface SystemTimer {
  current: ReturnType<typeof setTimeout> | undefined;
}

/** Arms `timer` for `ms` in steps of at most `MAX_TIMER_MS`, then calls `fn`. */
function arm(timer: SystemTimer, fn: () => void, ms: number): void {
  const step = Math.min(ms, MAX_TIMER_MS);
  timer.current = setTimeout(() => {
    if (ms > step) arm(timer, fn, ms - step);
    else fn();
  }, step);
}

/** The real clock. Its timers keep the process alive, as a pending sync should. */
export const systemClock: Clock = {
  now: () => new Date(),
  setTimeout(fn, ms) {
    const timer: SystemTimer = { current: undefined };
    // NaN would fire at once anyway; say so. Infinity steps forever, which is what it means.
    arm(timer, fn, Number.isNaN(ms) ? 0 : Math.max(0, ms));
    return { id: timer };
  },
  clearTimeout(handle) {
    clearTimeout((handle.id as SystemTimer).current);
  },
  sleep(ms, signal) {
    return sleepOn(systemClock, ms, signal);
  },
};
