/**
 * The check of this host's clock against the database's. Leases and budget refills are written
 * with each process's own `now` and compared in the shared database; one process with a clock
 * off by minutes would take other processes' leases early, keep its own too long, or refill a
 * shared budget too fast. Rather than move every store call onto the database's clock (which
 * would take time away from the engine's injectable clock), the engine refuses to claim work
 * while the two clocks differ by more than `maxClockSkewMs`.
 */
import type { EventEmitter } from "eventemitter3";
import { safeEmit } from "./emitter.js";
import { ClockSkewError } from "./errors.js";
import type { EngineEventArgs } from "./events.js";
import type { ResolvedOptions } from "./options.js";

/** The engine's view of the database clock. */
export interface DatabaseClock {
  /** This host's clock minus the database's at the latest check (ms), or null when never checked. */
  readonly skewMs: number | null;
  /**
   * Compares the clocks unless a check within `clockCheckEveryMs` passed (`force`: compare now).
   * Throws `ClockSkewError` when they differ by more than `maxClockSkewMs`; a store error passes
   * through. Does nothing when the check is off or the store has no `databaseNow`.
   */
  ensure(force?: boolean): Promise<void>;
  /** `ensure()` for the loop: false while the clocks differ too much (the loop claims nothing). */
  allowsWork(): Promise<boolean>;
}

/** Creates the check; emits `clock:skew` when the skew goes over the limit and when it is back within. */
export function createDatabaseClock(options: ResolvedOptions, emitter: EventEmitter<EngineEventArgs>): DatabaseClock {
  const { store, clock, maxClockSkewMs: limitMs, clockCheckEveryMs } = options;
  let skewMs: number | null = null;
  let passedAt: number | null = null;
  let exceeded = false;

  async function measure(): Promise<void> {
    const databaseNow = store.databaseNow;
    if (limitMs === null || databaseNow === undefined) return;
    const before = clock.now().getTime();
    const databaseTime = await databaseNow.call(store);
    const after = clock.now().getTime();
    // The database read its clock somewhere between the two local readings: compare with the middle.
    const localTime = new Date(before + Math.round((after - before) / 2));
    skewMs = localTime.getTime() - databaseTime.getTime();
    const over = Math.abs(skewMs) > limitMs;
    if (over !== exceeded) {
      exceeded = over;
      safeEmit(emitter, "clock:skew", {
        source: "database",
        connectionId: null,
        provider: null,
        skewMs,
        localTime,
        remoteTime: databaseTime,
        exceeded: over,
      });
    }
    if (over) {
      passedAt = null;
      throw new ClockSkewError(localTime, databaseTime, limitMs);
    }
    passedAt = after;
  }

  return {
    get skewMs() {
      return skewMs;
    },
    async ensure(force = false) {
      if (!force && passedAt !== null && clock.now().getTime() - passedAt < clockCheckEveryMs) return;
      await measure();
    },
    async allowsWork() {
      try {
        await this.ensure();
        return true;
      } catch (error) {
        if (error instanceof ClockSkewError) return false;
        throw error;
      }
    },
  };
}
