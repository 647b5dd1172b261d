// A pass's types in `SyncStore` (store.ts): its claim, its run record, its pages and its finish.

import type { RowProblem, SerializedError, SyncStatePatch } from "./store-records.js";
import type { PassKind, Registration, Removal, SkippedRow } from "./types.js";

export interface ClaimArgs {
  /** Identifies the claiming process; leases are held in its name. */
  readonly owner: string;
  readonly now: Date;
  readonly leaseMs: number;
  /** At most this many races per call; every due event of a chosen race is claimed with it. */
  readonly maxRaces: number;
  /** Only events of these providers (the engine's adapters). */
  readonly providers?: readonly string[] | undefined;
  /**
   * Only events that at least one of these connections sees (discovery found them through it)
   * through a link that is not forbidden (`markForbidden`).
   * The engine passes the connections that have room for another pass, so a process never
   * claims, and so never hoards, the backlog of a connection it cannot serve right now.
   */
  readonly connectionIds?: readonly string[] | undefined;
  /**
   * A chosen race also brings along its events falling due within this many milliseconds after
   * `now` (unleased, seen through the given connections), so one call covers them; races are
   * still chosen, and ordered, by their events due at `now` only. Default 0.
   */
  readonly alongWithinMs?: number | undefined;
}

export interface StartRunArgs {
  readonly owner: string;
  readonly now: Date;
  readonly connectionId: string;
  readonly provider: string;
  readonly raceId: string;
  readonly eventIds: readonly string[];
  readonly kind: PassKind;
}

/** Completion of a pass, committed in the same transaction as its last page. */
export interface PassFinish {
  /** API calls the pass made in total. */
  readonly apiCalls: number;
  /**
   * State each event of the pass moves to. The store also clears `lastError`, resets `failures`,
   * sets `lastSuccessAt = now` and releases the lease of each event.
   */
  readonly states: readonly SyncStatePatch[];
  /**
   * Reconciliation: mark `vanished` every `active` registration of the pass's events whose id is
   * not in `seenRegistrationIds`, unless that is more than `maxShare` (0..1) of those events'
   * active registrations; then mark nothing and report `refused`.
   */
  readonly vanish?: { readonly seenRegistrationIds: readonly string[]; readonly maxShare: number } | undefined;
}

export interface CommitPageArgs {
  readonly owner: string;
  readonly now: Date;
  readonly runId: string;
  readonly provider: string;
  /** Every event of the pass. The commit is refused with `LeaseLostError` unless `owner` holds all their leases. */
  readonly eventIds: readonly string[];
  /**
   * Upserted by (provider, registrationId). A row is written only when a column differs; one
   * whose `modifiedAt` is older than the stored row's is skipped. A row that arrives through the
   * registrations feed is `active` (a `vanished` one comes back).
   *
   * Rows are checked with core's `checkPage` (both stores store the same): a field that fails its
   * check is stored as null and recorded in the registration's `problems`; `raw` is made storable;
   * a row that cannot be stored at all (no usable id, an unknown event) is skipped. Bad provider
   * data never fails the page; each such problem is returned in `problems` and counted on the run.
   */
  readonly registrations?: readonly Registration[] | undefined;
  /**
   * Sets `status = reason`, `removedReason`, `newRegistrationId` on the registration (never
   * deletes it). A removal of a registration the store has not seen inserts it with that status
   * and the raw row, so nothing the provider sent is lost.
   */
  readonly removals?: readonly Removal[] | undefined;
  /** Rows the adapter could not read at all: recorded on the run as skipped problems. */
  readonly skipped?: readonly SkippedRow[] | undefined;
  /** Backfill progress this page advances (set on every event of the pass). */
  readonly backfillAfter?: string | undefined;
  /** Present on the last page of a pass. */
  readonly finish?: PassFinish | undefined;
}

export interface PageWriteResult {
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
  /** Registrations whose status a removal row changed. */
  readonly removed: number;
  readonly vanish?: { readonly vanished: number; readonly active: number; readonly refused: boolean } | undefined;
  /** Every problem of the page's provider data (skipped rows and nulled fields), in page order. */
  readonly problems?: readonly RowProblem[] | undefined;
  /**
   * Rows this page wrote (registrations inserted or updated, and removals of registrations the
   * store had not seen, which bring their raw row) that belong to a forgotten person (a tombstone
   * of `forget` names the registration or its user): the provider still sends them. Ids only.
   * Absent or empty when none.
   */
  readonly returned?: readonly ForgottenReturn[] | undefined;
}

/** A forgotten person's registration that a page brought back. Ids only, never personal data. */
export interface ForgottenReturn {
  readonly registrationId: string;
  readonly userId: string | null;
}

export interface FailRunArgs {
  readonly owner: string;
  readonly now: Date;
  readonly runId: string;
  readonly provider: string;
  readonly eventIds: readonly string[];
  readonly apiCalls: number;
  readonly error: SerializedError;
  /** Backoff: typically `nextDueAt`, `failures` and `lastError` per event. Leases are released. */
  readonly states: readonly SyncStatePatch[];
}

/**
 * A run's (or a discovery's) state. `abandoned`: its process died (or stopped renewing) while
 * it ran; whoever next claimed the work closed it, with `finishedAt` the instant its lease expired.
 */
export type RunStatus = "running" | "succeeded" | "failed" | "abandoned";

export interface SyncRun {
  readonly id: string;
  readonly connectionId: string;
  readonly provider: string;
  readonly raceId: string;
  readonly eventIds: readonly string[];
  readonly kind: PassKind;
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
  readonly status: RunStatus;
  readonly apiCalls: number;
  readonly rowsInserted: number;
  readonly rowsUpdated: number;
  readonly rowsUnchanged: number;
  readonly rowsRemoved: number;
  readonly error: SerializedError | null;
  /** Problems with provider data the run's committed pages had (skipped rows and nulled fields). */
  readonly problems: number;
  /** The first problems of the run (at most 20), for an operator to start from. */
  readonly problemSample: readonly RowProblem[];
}
