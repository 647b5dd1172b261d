/** Stable error codes. Branch on `instanceof` or `code`, never on message text. */
export type SyncErrorCode =
  | "CONFIG"
  | "AUTH"
  | "FORBIDDEN"
  | "RATE_LIMITED"
  | "PROVIDER"
  | "NOT_FOUND"
  | "SCHEMA"
  | "STORE"
  | "LEASE_LOST"
  | "ABORTED";

export interface SyncErrorOptions {
  cause?: unknown;
  retryable?: boolean;
}

/**
 * Base class of every error the project throws. `code` is a closed union; `retryable` tells the
 * engine whether a later attempt may succeed. Messages name the package and the thing
 * (`[runsignup] race 85675: error 7 Permission Denied`) and never contain a secret.
 */
export class SyncError extends Error {
  readonly code: SyncErrorCode;
  readonly retryable: boolean;

  constructor(code: SyncErrorCode, message: string, options: SyncErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
  }

  /** A plain, secret-free description for events, logs and `sync_runs.error`. */
  toJSON(): { name: string; code: SyncErrorCode; message: string; retryable: boolean } {
    return { name: this.name, code: this.code, message: this.message, retryable: this.retryable };
  }
}

/** Invalid options or configuration. `issues` lists each bad path with its problem. */
export class ConfigError extends SyncError {
  readonly issues: readonly { path: string; message: string }[];
  constructor(message: string, issues: readonly { path: string; message: string }[] = [], options: SyncErrorOptions = {}) {
    super("CONFIG", message, { ...options, retryable: false });
    this.issues = issues;
  }
}

/**
 * This host's clock and the database's differ by more than the engine allows (`maxClockSkewMs`).
 * Leases and budget refills are computed from each process's own clock and compared in the
 * shared database, so a process with a wrong clock would hold leases too long or take another's
 * too soon, and refill budgets too fast or too slow; it refuses to claim work instead.
 */
export class ClockSkewError extends ConfigError {
  /** This host's clock at the comparison. */
  readonly localTime: Date;
  /** The database's `now()` at the comparison. */
  readonly databaseTime: Date;
  /** `localTime - databaseTime` in ms: positive when this host runs ahead. */
  readonly skewMs: number;
  readonly limitMs: number;
  constructor(localTime: Date, databaseTime: Date, limitMs: number) {
    const skewMs = localTime.getTime() - databaseTime.getTime();
    const by = `${(Math.abs(skewMs) / 1000).toFixed(1)} s`;
    const message =
      `[core] this host's clock (${localTime.toISOString()}) and the database's (${databaseTime.toISOString()}) differ by ${by}, ` +
      `more than the ${limitMs / 1000} s allowed (maxClockSkewMs): leases and budgets shared with other processes would be wrong; ` +
      "correct the host's time (NTP) or raise maxClockSkewMs";
    super(message, [{ path: "maxClockSkewMs", message: `clocks differ by ${by}` }]);
    this.localTime = localTime;
    this.databaseTime = databaseTime;
    this.skewMs = skewMs;
    this.limitMs = limitMs;
  }
}

/** The provider rejected the credentials (RunSignUp 6, 13; 7 outside a race): pause that connection and alert. */
export class AuthError extends SyncError {
  constructor(message: string, options: SyncErrorOptions = {}) {
    super("AUTH", message, { ...options, retryable: false });
  }
}

/**
 * The provider refused one race to these credentials (RunSignUp 7 on a race's participants): a
 * fact about that race and that connection, not about the key. The engine marks the link
 * forbidden, syncs the race through another connection that sees it, and leaves the key's other
 * races alone; discovery seeing the race again for the connection clears the mark.
 */
export class ForbiddenError extends SyncError {
  /** The race refused, when the provider's answer names one. */
  readonly raceId: string | null;
  constructor(message: string, raceId: string | null = null, options: SyncErrorOptions = {}) {
    super("FORBIDDEN", message, { ...options, retryable: false });
    this.raceId = raceId;
  }
}

/** The provider throttled us (RunSignUp 14, HTTP 429): pause the whole connection. */
export class RateLimitedError extends SyncError {
  /** How long the provider asked us to wait (Retry-After), when it said. */
  readonly retryAfterMs: number | null;
  constructor(message: string, retryAfterMs: number | null = null, options: SyncErrorOptions = {}) {
    super("RATE_LIMITED", message, { ...options, retryable: true });
    this.retryAfterMs = retryAfterMs;
  }
}

/** The provider failed (RunSignUp 4/5, HTTP 5xx, timeouts, resets, garbage bodies). */
export class ProviderError extends SyncError {
  /** The provider's own error code, when it sent one. */
  readonly providerCode: number | null;
  readonly httpStatus: number | null;
  constructor(message: string, options: SyncErrorOptions & { providerCode?: number | null; httpStatus?: number | null } = {}) {
    super("PROVIDER", message, { ...options, retryable: options.retryable ?? true });
    this.providerCode = options.providerCode ?? null;
    this.httpStatus = options.httpStatus ?? null;
  }
}

/** The race or event is gone at the provider (RunSignUp 201, 301, 223). */
export class NotFoundError extends SyncError {
  constructor(message: string, options: SyncErrorOptions = {}) {
    super("NOT_FOUND", message, { ...options, retryable: false });
  }
}

/** A response did not match its schema: nothing is written, the event is marked failing. */
export class SchemaError extends SyncError {
  /** Where the response broke the schema (`[0].participants[3].registration_id`). */
  readonly issues: readonly { path: string; message: string }[];
  constructor(message: string, issues: readonly { path: string; message: string }[] = [], options: SyncErrorOptions = {}) {
    super("SCHEMA", message, { ...options, retryable: false });
    this.issues = issues;
  }
}

/** The store failed. Retryable when the transaction rolled back for a passing reason. */
export class StoreError extends SyncError {
  constructor(message: string, options: SyncErrorOptions = {}) {
    super("STORE", message, options);
  }
}

/** This process no longer holds the lease on an event it was syncing; its writes were refused. */
export class LeaseLostError extends SyncError {
  readonly events: readonly { provider: string; eventId: string }[];
  constructor(message: string, events: readonly { provider: string; eventId: string }[], options: SyncErrorOptions = {}) {
    super("LEASE_LOST", message, { ...options, retryable: true });
    this.events = events;
  }
}

/** The operation was aborted through its AbortSignal (engine stopping). */
export class AbortedError extends SyncError {
  constructor(message = "operation aborted", options: SyncErrorOptions = {}) {
    super("ABORTED", message, { ...options, retryable: true });
  }
}

/**
 * A request gave up waiting for its budget because the connection is paused for longer than a
 * request should wait (credentials rejected, a long Retry-After). Its pass stops and runs again
 * when the pause ends, instead of holding its leases and its caller (`runOnce`) for the pause.
 */
export class ConnectionPausedError extends AbortedError {
  /** When the pause ends. */
  readonly until: Date;
  constructor(message: string, until: Date, options: SyncErrorOptions = {}) {
    super(message, options);
    this.until = until;
  }
}
