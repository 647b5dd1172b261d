// API call budget types of `SyncStore` (store.ts), shared between processes.

/**
 * Token-bucket limits of one budget key. The bucket holds at most `burst` tokens and refills
 * continuously at `(callsPerHour - burst)` per hour, so no rolling hour can ever see more than
 * `callsPerHour` grants (burst + one hour of refill). A new key starts with a full bucket.
 */
export interface BudgetLimits {
  readonly callsPerHour: number;
  readonly burst: number;
  readonly maxInFlight: number;
}

export interface TakeBudgetArgs {
  readonly key: string;
  readonly owner: string;
  readonly now: Date;
  readonly limits: BudgetLimits;
  /** A slot not released within this time is freed (its process is presumed dead). */
  readonly slotTtlMs: number;
  /**
   * Tokens the take must leave in the bucket (default 0): less urgent work leaves them to the
   * most urgent tier, so when the budget binds that tier gets every call.
   */
  readonly reserve?: number | undefined;
}

export type BudgetTake =
  | { readonly granted: true; readonly slotId: string; readonly tokensLeft: number }
  | {
      readonly granted: false;
      readonly reason: "tokens" | "in-flight" | "paused";
      /** How long until a retry can succeed for `tokens`/`paused`; a short poll for `in-flight`. */
      readonly retryInMs: number;
    };

export interface BudgetState {
  readonly key: string;
  readonly tokens: number;
  readonly refilledAt: Date;
  readonly pausedUntil: Date | null;
  readonly pauseReason: string | null;
  readonly inFlight: number;
  /** Grants in the hour before `now`. */
  readonly callsLastHour: number;
}
