/**
 * A strict server's budget per key: more than `callsPerHour` accepted calls in a rolling hour,
 * or more than `maxConcurrent` requests in flight, and the call gets error 14. RunSignUp
 * publishes no numbers; these are the project's defaults (1000/h, 2 in flight), enforced hard so
 * a test proves the client stays inside them.
 */

export interface FakeLimits {
  /** Accepted calls per key in any rolling hour (default 1000). */
  callsPerHour: number;
  /** Requests per key in flight at once (default 2). */
  maxConcurrent: number;
}

export type Verdict =
  | { readonly allowed: true; readonly inFlight: number }
  | { readonly allowed: false; readonly inFlight: number; readonly reason: "concurrency" | "hourly" };

const HOUR_MS = 3_600_000;

export class KeyLimiter {
  readonly limits: FakeLimits;
  readonly #now: () => Date;
  readonly #inFlight = new Map<string, number>();
  readonly #accepted = new Map<string, number[]>();

  constructor(limits: Partial<FakeLimits>, now: () => Date) {
    this.limits = { callsPerHour: limits.callsPerHour ?? 1000, maxConcurrent: limits.maxConcurrent ?? 2 };
    this.#now = now;
  }

  /** Registers a request that arrived for `key`; call `leave` when its response is done. */
  enter(key: string): Verdict {
    const inFlight = (this.#inFlight.get(key) ?? 0) + 1;
    this.#inFlight.set(key, inFlight);
    if (inFlight > this.limits.maxConcurrent) return { allowed: false, inFlight, reason: "concurrency" };
    const now = this.#now().getTime();
    const log = (this.#accepted.get(key) ?? []).filter((t) => t > now - HOUR_MS);
    this.#accepted.set(key, log);
    if (log.length >= this.limits.callsPerHour) return { allowed: false, inFlight, reason: "hourly" };
    log.push(now);
    return { allowed: true, inFlight };
  }

  leave(key: string): void {
    this.#inFlight.set(key, Math.max(0, (this.#inFlight.get(key) ?? 1) - 1));
  }

  /** Calls accepted for `key` in the rolling hour ending now. */
  usedInLastHour(key: string): number {
    const now = this.#now().getTime();
    return (this.#accepted.get(key) ?? []).filter((t) => t > now - HOUR_MS).length;
  }
}
