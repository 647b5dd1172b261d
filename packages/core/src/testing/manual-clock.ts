import { sleepOn, type Clock, type TimerHandle } from "../clock.js";

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/** Lets every promise chain that is ready run to completion (one real macrotask turn). */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A clock that moves only when told. `advance` fires due timers in time order, letting the
 * async work each one starts settle before moving on, so hours of schedule run in milliseconds.
 */
export class ManualClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers: Timer[] = [];

  constructor(start: Date | string | number = "2026-01-01T00:00:00Z") {
    this.#now = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: Timer = { id: this.#nextId++, at: this.#now + Math.max(0, ms), fn };
    this.#timers.push(timer);
    return { id: timer.id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle.id);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /** Timers not yet fired. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.#now + ms);
  }

  /** Moves time forward to `target`, firing due timers in order (never backwards). */
  async advanceTo(target: Date | number): Promise<void> {
    const end = typeof target === "number" ? target : target.getTime();
    await flushMicrotasks();
    for (;;) {
      const next = this.#earliest();
      if (next === undefined || next.at > end) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
      await flushMicrotasks();
    }
    this.#now = Math.max(this.#now, end);
    await flushMicrotasks();
  }

  /** Sets the time without firing timers (for arranging a test), never backwards. */
  set(to: Date | string | number): void {
    this.#now = Math.max(this.#now, new Date(to).getTime());
  }

  #earliest(): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.#timers) if (best === undefined || t.at < best.at || (t.at === best.at && t.id < best.id)) best = t;
    return best;
  }
}
