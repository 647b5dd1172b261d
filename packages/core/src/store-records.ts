// The records of `SyncStore` (store.ts): events with their sync state, registrations, errors and
// row problems, shared by the interface's sections.

import type { FieldProblem, Registration, RegistrationStatus, RemovalReason, TierName } from "./types.js";

/**
 * One problem a page had with provider data: a field stored as null (`skipped: false`, the
 * registration was written) or a row that could not be stored at all (`skipped: true`).
 */
export interface RowProblem {
  readonly registrationId: string | null;
  readonly eventId: string | null;
  readonly field: string;
  readonly reason: string;
  readonly skipped: boolean;
}

/** A field problem as kept on a stored registration. */
export interface StoredFieldProblem extends FieldProblem {
  /** When this field's problem was first seen on the registration (kept while it persists). */
  readonly firstSeenAt: Date;
}

/** An error as stored and emitted: plain data, no stack, no secret. */
export interface SerializedError {
  readonly name: string;
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
}

/** Per-event sync state: everything the scheduler needs to survive a crash. */
export interface SyncState {
  readonly provider: string;
  readonly eventId: string;
  readonly raceId: string;
  /** The tier the event was last scheduled in; null until the engine first schedules it. */
  readonly tier: TierName | null;
  /** Claim order: lower is more urgent. Set by the engine's policy. */
  readonly priority: number;
  /** When the next pass is due; null means never (the event is done and reconciled). */
  readonly nextDueAt: Date | null;
  /** Signpost of the last committed incremental or full pass (the next `modifiedSince` base). */
  readonly cursorAt: Date | null;
  /** Signpost of the last committed removal-feed pass. */
  readonly removalsCursorAt: Date | null;
  /** When the removal feed is next due for this event; null means with every pass. */
  readonly removalsDueAt: Date | null;
  /** Keyset position of an unfinished backfill; null when none is in progress. */
  readonly backfillAfter: string | null;
  /** When the backfill completed; null means the event still needs one. */
  readonly backfilledAt: Date | null;
  /** When the next full reconciliation is due; null means none planned. */
  readonly reconcileDueAt: Date | null;
  readonly lastReconciledAt: Date | null;
  readonly lastSuccessAt: Date | null;
  readonly lastError: SerializedError | null;
  /** Consecutive failed passes; reset by a success. */
  readonly failures: number;
  readonly leaseOwner: string | null;
  readonly leaseExpiresAt: Date | null;
}

/** Fields of `SyncState` the engine may set. Absent fields are left as they are. */
export type SyncStatePatch = {
  readonly eventId: string;
} & Partial<
  Pick<
    SyncState,
    | "tier"
    | "priority"
    | "nextDueAt"
    | "cursorAt"
    | "removalsCursorAt"
    | "removalsDueAt"
    | "backfillAfter"
    | "backfilledAt"
    | "reconcileDueAt"
    | "lastReconciledAt"
    | "lastError"
    | "failures"
  >
>;

/** An event as the store knows it, with its race, state and registration count. */
export interface StoredEvent {
  readonly provider: string;
  readonly eventId: string;
  readonly raceId: string;
  readonly raceName: string;
  readonly timezone: string;
  readonly name: string;
  readonly startsAt: Date;
  readonly endsAt: Date | null;
  /** Connections whose credentials see this event (discovery found it through them). */
  readonly connectionIds: readonly string[];
  /**
   * Links of `connectionIds` the provider refused (permission denied on the race), ordered by
   * connection id. Claims and the engine's choice of connection skip them; the event is synced
   * through its other connections.
   */
  readonly forbidden: readonly ForbiddenLink[];
  readonly state: SyncState;
  /** Registrations with status `active`. */
  readonly activeRegistrations: number;
}

/** A connection's link to an event that the provider refused to those credentials. */
export interface ForbiddenLink {
  readonly connectionId: string;
  /** When the refusal was recorded (the `now` of `markForbidden`). */
  readonly since: Date;
  /** The refusal as the provider gave it (secret-free). */
  readonly error: SerializedError;
}

/** Arguments of `SyncStore.markForbidden`. */

export interface StoredRegistration extends Registration {
  /**
   * The fields of the last written version that failed their checks (stored as null; `raw`
   * keeps what was sent). Empty when the row is clean. Rewritten with each write of the row, a
   * field's `firstSeenAt` kept while its problem persists.
   */
  readonly problems: readonly StoredFieldProblem[];
  readonly status: RegistrationStatus;
  readonly removedReason: RemovalReason | null;
  readonly newRegistrationId: string | null;
  readonly firstSeenAt: Date;
  readonly updatedAt: Date;
}
