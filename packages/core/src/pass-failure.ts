import { backoffDelayMs } from "./backoff.js";
import {
  AbortedError,
  AuthError,
  ConnectionPausedError,
  ForbiddenError,
  LeaseLostError,
  NotFoundError,
  RateLimitedError,
  SyncError,
} from "./errors.js";
import type { ResolvedConnection, ResolvedOptions } from "./options.js";
import { cleanProviderText } from "./provider-text.js";
import type { SerializedError, StoredEvent, SyncStatePatch } from "./store.js";

/** How long a connection whose credentials were rejected is paused before it is tried again. */
export const AUTH_PAUSE_MS = 60 * 60_000;
/** Pause after a throttling answer that did not say how long to wait. */
export const DEFAULT_RATE_LIMIT_PAUSE_MS = 60_000;
/**
 * The longest pause a `Retry-After` can call for. A proxy's "come back in a week" (or an HTTP
 * date years ahead) must not silence a partner for race morning: after an hour the engine asks
 * again, and a provider that still refuses answers with a new `Retry-After`.
 */
export const MAX_RETRY_AFTER_MS = 60 * 60_000;

/**
 * A plain, secret-free description of any thrown value. Name and message are cleaned of control
 * characters and lone surrogates and cut to 500 characters: provider text in a message must not
 * stop the failure from being stored (a NUL made `failRun` fail) or flood a log line.
 */
export function serializeError(error: unknown): SerializedError {
  const plain =
    error instanceof SyncError
      ? error.toJSON()
      : error instanceof Error
        ? { name: error.name, code: "INTERNAL", message: error.message, retryable: true }
        : { name: "Error", code: "INTERNAL", message: String(error), retryable: true };
  return { ...plain, name: cleanProviderText(plain.name, 100), message: cleanProviderText(plain.message) };
}

/** The connection pause a failure calls for, if any. */
export interface ConnectionPause {
  readonly until: Date;
  readonly reason: string;
}

/** Decides the pause of the connection after an error (throttling or rejected credentials). */
export function pauseFor(error: unknown, now: Date): ConnectionPause | null {
  if (error instanceof RateLimitedError) {
    const asked = error.retryAfterMs ?? DEFAULT_RATE_LIMIT_PAUSE_MS;
    const ms = Number.isFinite(asked) ? Math.min(MAX_RETRY_AFTER_MS, Math.max(0, asked)) : MAX_RETRY_AFTER_MS;
    return { until: new Date(now.getTime() + ms), reason: "rate-limited" };
  }
  if (error instanceof AuthError) return { until: new Date(now.getTime() + AUTH_PAUSE_MS), reason: "credentials rejected" };
  return null;
}

/** True when the pass stopped because the engine is stopping or the lease went (no backoff). */
export function isInterruption(error: unknown): boolean {
  return error instanceof AbortedError || error instanceof LeaseLostError;
}

/**
 * The backoff patches of a failed pass. A pass interrupted by `stop` keeps the events due as they
 * were; one that lost its lease retries after a lease; a vanished race or event is not retried; a
 * race refused to the connection stays due as it was (for another connection); everything else backs off
 * exponentially with jitter, and no sooner than the connection's pause ends.
 */
export function failureStates(
  events: readonly StoredEvent[],
  error: unknown,
  now: Date,
  options: ResolvedOptions,
  pause: ConnectionPause | null,
  /** For a `ForbiddenError`: the store kept the link's forbidden mark (otherwise back off). */
  forbiddenMarked = true,
): { readonly states: SyncStatePatch[]; readonly retryAt: Date | null; readonly failures: number } {
  const serialized = serializeError(error);
  if (error instanceof LeaseLostError) {
    // Whoever holds the lease now syncs the events (the store ignores this patch for events
    // another owner leased); if nobody does, they come back after one lease, without a failure.
    const failures = Math.max(0, ...events.map((e) => e.state.failures));
    const retryAt = new Date(now.getTime() + options.leaseMs);
    return { states: events.map((e) => ({ eventId: e.eventId, nextDueAt: retryAt })), retryAt, failures };
  }
  if (error instanceof ConnectionPausedError) {
    // Not the events' fault: no failure counted, they run when their connection's pause ends.
    const failures = Math.max(0, ...events.map((e) => e.state.failures));
    return { states: events.map((e) => ({ eventId: e.eventId, nextDueAt: error.until })), retryAt: error.until, failures };
  }
  if (isInterruption(error)) {
    const failures = Math.max(0, ...events.map((e) => e.state.failures));
    return { states: [], retryAt: events[0]?.state.nextDueAt ?? null, failures };
  }
  const failures = Math.max(0, ...events.map((e) => e.state.failures)) + 1;
  if (error instanceof NotFoundError) {
    return {
      states: events.map((e) => ({ eventId: e.eventId, nextDueAt: null, failures: e.state.failures + 1, lastError: serialized })),
      retryAt: null,
      failures,
    };
  }
  if (error instanceof ForbiddenError && forbiddenMarked) {
    // Refused to this connection only: still due as it was (keeping its place in the claim
    // order), so the next claim routes the race through another connection that sees it; with
    // none, it waits, unclaimable, until discovery sees the race again for this connection.
    const dueAt = (e: StoredEvent) => e.state.nextDueAt ?? now;
    const retryAt = new Date(Math.min(...events.map((e) => dueAt(e).getTime())));
    return {
      states: events.map((e) => ({ eventId: e.eventId, nextDueAt: dueAt(e), failures: e.state.failures + 1, lastError: serialized })),
      retryAt,
      failures,
    };
  }
  const { backoffBaseMs, backoffMaxMs } = options.schedule;
  let retryMs = backoffDelayMs(failures, backoffBaseMs, backoffMaxMs, options.random);
  if (pause !== null) retryMs = Math.max(retryMs, pause.until.getTime() - now.getTime());
  const retryAt = new Date(now.getTime() + retryMs);
  return {
    states: events.map((e) => ({ eventId: e.eventId, nextDueAt: retryAt, failures: e.state.failures + 1, lastError: serialized })),
    retryAt,
    failures,
  };
}

/** The connection a pause applies to (for `budget:throttled`). */
export function throttledPayload(
  conn: ResolvedConnection,
  pause: ConnectionPause,
): { connectionId: string; budgetKey: string; until: Date; reason: string } {
  return { connectionId: conn.id, budgetKey: conn.budgetKey, until: pause.until, reason: pause.reason };
}
