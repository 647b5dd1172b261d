import type {
  EventRef,
  FieldProblem,
  PassKind,
  Race,
  Registration,
  RegistrationStatus,
  Removal,
  RemovalReason,
  SkippedRow,
  TierName,
} from "./types.js";
import type { EventHistorySummary, PruneHistoryArgs, PruneHistoryResult } from "./store-history.js";
import type { EventSummary, WorkingSetArgs } from "./store-working-set.js";

export type * from "./store-history.js";
export type * from "./store-working-set.js";

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
export interface MarkForbiddenArgs {
  readonly connectionId: string;
  readonly provider: string;
  /** Every event of this race linked to the connection is marked. */
  readonly raceId: string;
  readonly now: Date;
  readonly error: SerializedError;
}

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

/** What a discovery changed. */
export interface DiscoveryDiff {
  readonly newRaces: readonly string[];
  readonly newEvents: readonly EventRef[];
  /** Known events whose start or end instant moved. */
  readonly changedEvents: readonly {
    readonly ref: EventRef;
    readonly previousStartsAt: Date;
    readonly startsAt: Date;
  }[];
}

export interface SaveDiscoveryArgs {
  readonly connectionId: string;
  readonly provider: string;
  readonly races: readonly Race[];
  readonly now: Date;
  /** Priority given to the sync state created for a new event (it is due at once, for backfill). */
  readonly newEventPriority: number;
}

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

export interface AnonymiseArgs {
  readonly now: Date;
  /** Registrations of events whose `endsAt` (else `startsAt`) is before this instant. */
  readonly endedBefore: Date;
  /** At most this many registrations in this call (one transaction). */
  readonly limit: number;
}

export interface ForgetArgs {
  readonly now: Date;
  readonly provider: string;
  /** Exactly one of `registrationId` and `userId`. */
  readonly registrationId?: string | undefined;
  readonly userId?: string | undefined;
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

export interface DiscoveryRecord {
  readonly id: string;
  readonly connectionId: string;
  /** The scheduled instant this discovery serves (e.g. today 06:00 UTC). */
  readonly slot: Date;
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
  readonly status: RunStatus;
  readonly races: number;
  readonly newEvents: number;
  readonly apiCalls: number;
  readonly error: SerializedError | null;
}

/**
 * Everything that must survive a crash or be shared between processes.
 *
 * Every method receives `now` from the engine's clock; a store never decides with its own clock.
 * A conforming store (asserted by `runStoreConformance`) guarantees:
 * - **Atomic pages.** `commitPage` writes its rows, the backfill position or cursor it advances
 *   and the run's completion in one transaction: all or nothing. A failure (an invalid row, a
 *   lost lease, a dropped connection) leaves every row, cursor and run exactly as before.
 * - **Changed rows only.** A registration is written only when a stored column differs, and a
 *   row with an older `modifiedAt` never replaces a newer one.
 * - **Never deleted.** Removals and reconciliation change `status`; no sync deletes a row.
 * - **Disjoint claims.** Two concurrent `claimDue` calls never return the same event; an event
 *   whose lease is held and unexpired is never returned; an expired lease is claimable.
 * - **Budgets.** Concurrent `takeBudget` calls for one key, from any number of processes, never
 *   grant more than the bucket holds nor more than `maxInFlight` unreleased, unexpired slots.
 * - **One discovery per slot.** `beginDiscovery` admits one caller per connection and slot.
 */
export interface SyncStore {
  // Each section below is one file in both stores: `memory-<name>.ts` in core's testing, `<name>.ts`
  // in postgres-store, with the name given in brackets.

  // Catalog: races, events, the connections that see them and their schedule (`catalog`)
  /**
   * Upserts races, events and which connection sees them. A new event gets a sync state that is
   * due at once (`nextDueAt = now`, `backfilledAt = null`, `priority = newEventPriority`). The
   * connection's link to every event listed is cleared of a forbidden mark: discovery seeing the
   * race again for these credentials is the signal to try them again.
   */
  saveDiscovery(args: SaveDiscoveryArgs): Promise<DiscoveryDiff>;

  /**
   * Marks the links of `connectionId` to every event of race `raceId` forbidden (the provider
   * refused that race to these credentials), recording `now` and `error`; a link already marked
   * keeps its first `since`. The links stay: `listEvents` still names the connection in
   * `connectionIds` and lists the mark in `forbidden`; `claimDue` with `connectionIds` does not
   * return an event through a forbidden link. Nothing else (state, leases, budgets) changes.
   * Returns the events whose link was marked (none when the connection does not see the race).
   */
  markForbidden(args: MarkForbiddenArgs): Promise<EventRef[]>;

  /** Events with their race, state and counts; all of them when `refs` is absent. */
  listEvents(args?: { readonly refs?: readonly EventRef[]; readonly provider?: string }): Promise<StoredEvent[]>;

  /** Sets scheduling fields of events (after a discovery moved a start, or the policy changed). */
  updateSchedule(args: {
    readonly now: Date;
    readonly patches: readonly (SyncStatePatch & { readonly provider: string })[];
  }): Promise<void>;

  // Working set: what the engine and the status page read (`working-set`)
  /**
   * The working set: events not done plus recently ended ones (see `WorkingSetArgs`), with
   * race, state, connections and active counts, ordered by start. Read through indexes: its cost
   * follows the working set, never the number of finished events.
   */
  listWorkingSet(args: WorkingSetArgs): Promise<StoredEvent[]>;

  /** Counts over all events (of `providers`, when given), aggregated in the store. */
  summarizeEvents(args?: { readonly providers?: readonly string[] | undefined }): Promise<EventSummary>;

  /** One cheap round trip to the database; rejects with a `StoreError` when it cannot answer. */
  ping(): Promise<void>;

  // History (`history`)
  /**
   * Deletes up to `batchSize` finished runs and `batchSize` status changes older than the
   * cutoffs, oldest first, and adds what each deleted row said to its events' history summary in
   * the same transaction (so a summary never misses or double-counts a row).
   */
  pruneHistory(args: PruneHistoryArgs): Promise<PruneHistoryResult>;

  /** Summaries of pruned history of a provider's events (all of its events when absent). */
  listHistorySummaries(args: {
    readonly provider: string;
    readonly eventIds?: readonly string[] | undefined;
  }): Promise<EventHistorySummary[]>;

  // Claims: leases on events (`claims`)
  /**
   * Claims due work: chooses up to `maxRaces` races by their most urgent due event (lowest
   * `priority`, then earliest `nextDueAt`) and claims every due (`nextDueAt <= now`) event of
   * each that no other owner holds an unexpired lease on. Two concurrent calls never return the
   * same event. With `connectionIds`, an event seen by them only through forbidden links is
   * neither claimed nor counted. A run still `running` under the expired lease of a claimed
   * event's previous owner (its process died) is closed as `abandoned`, `finishedAt` the instant
   * that lease expired.
   */
  claimDue(args: ClaimArgs): Promise<StoredEvent[]>;

  /**
   * Claims the given events now, due or not; returns those it could lease (not held by another
   * owner). Closes the runs of an expired previous lease as `abandoned`, as `claimDue` does.
   */
  claimEvents(args: {
    readonly owner: string;
    readonly now: Date;
    readonly leaseMs: number;
    readonly refs: readonly EventRef[];
  }): Promise<StoredEvent[]>;

  /** Extends the owner's leases; returns the refs whose lease the owner no longer holds. */
  renewLeases(args: {
    readonly owner: string;
    readonly now: Date;
    readonly leaseMs: number;
    readonly refs: readonly EventRef[];
  }): Promise<EventRef[]>;

  /** Gives back leases without changing any other state (a claim that will not run). */
  releaseLeases(args: { readonly owner: string; readonly now: Date; readonly refs: readonly EventRef[] }): Promise<void>;

  // Runs: a pass's record, from start to its finish or failure (`runs`)
  /** Records a pass as running; returns its id. */
  startRun(args: StartRunArgs): Promise<string>;

  /** Records a pass as failed, applies the backoff patches and releases the leases. Rows and cursors stay. */
  failRun(args: FailRunArgs): Promise<void>;

  /** Recent runs, newest first; with `withProblems`, only runs that recorded problems with provider data. */
  listRuns(args?: {
    readonly limit?: number;
    readonly eventId?: string;
    readonly status?: RunStatus;
    readonly withProblems?: boolean;
  }): Promise<SyncRun[]>;

  // Pages: the rows a pass writes (`pages`; the last page finishes the pass through `runs`)
  /** Writes one page atomically with the progress it advances; see the interface's guarantees. */
  commitPage(args: CommitPageArgs): Promise<PageWriteResult>;

  /** Stored registrations (status included), ordered by registration id. For tests and tools. */
  listRegistrations(args: {
    readonly provider: string;
    readonly eventIds?: readonly string[];
    readonly raceId?: string;
  }): Promise<StoredRegistration[]>;

  // Budgets: API call budgets shared between processes (`budgets`)
  /** Takes one call token and one in-flight slot atomically, or says why not and for how long. */
  takeBudget(args: TakeBudgetArgs): Promise<BudgetTake>;

  /** Frees an in-flight slot. Releasing an unknown or expired slot is a no-op. */
  releaseBudget(args: { readonly key: string; readonly slotId: string; readonly now: Date }): Promise<void>;

  /** Pauses a key until `until` (throttled, or credentials rejected). A later pause wins. */
  pauseBudget(args: { readonly key: string; readonly now: Date; readonly until: Date; readonly reason: string }): Promise<void>;

  /** Budget states of the given keys (all known keys when absent). */
  getBudgets(args: { readonly now: Date; readonly keys?: readonly string[] }): Promise<BudgetState[]>;

  // Discovery: one discovery per connection and slot (`discovery`)
  /**
   * Starts the discovery of `slot` for a connection, unless one for this slot or a later one
   * already succeeded, or another owner's discovery is running with an unexpired lease. A
   * running record whose lease expired is closed as `abandoned` (`finishedAt` its lease's expiry).
   * Returns the record's id, or null when this caller must not discover now.
   */
  beginDiscovery(args: {
    readonly connectionId: string;
    readonly slot: Date;
    readonly owner: string;
    readonly now: Date;
    readonly leaseMs: number;
  }): Promise<string | null>;

  /**
   * Extends the lease of a running discovery its owner still holds (a discovery may outlast one
   * lease). False when the record is no longer running under `owner` with an unexpired lease:
   * another process may take the slot over, so the caller should stop.
   */
  renewDiscovery(args: { readonly id: string; readonly owner: string; readonly now: Date; readonly leaseMs: number }): Promise<boolean>;

  /** Completes a discovery record. */
  finishDiscovery(args: {
    readonly id: string;
    readonly now: Date;
    readonly status: "succeeded" | "failed";
    readonly races: number;
    readonly newEvents: number;
    readonly apiCalls: number;
    readonly error?: SerializedError | undefined;
  }): Promise<void>;

  /** The latest discovery record of each connection (all connections when absent). */
  lastDiscoveries(args?: { readonly connectionIds?: readonly string[] }): Promise<DiscoveryRecord[]>;

  // Privacy: retention and forget (`privacy`)
  /**
   * Retention: anonymises up to `limit` registrations of events that ended before `endedBefore`
   * and were not anonymised since they were last written: every personal column (`PERSONAL_FIELDS`)
   * and `raw` become null, `updatedAt = now`; ids, event, status, `registeredAt` and
   * `modifiedAt` stay, so counts stay right. Returns how many it anonymised: fewer than `limit`
   * means none is left. Each call is one short transaction, so a big purge never holds long locks.
   */
  anonymiseEnded(args: AnonymiseArgs): Promise<{ readonly anonymised: number }>;

  /**
   * Erases one person: clears the personal columns and `raw` of the registration
   * (`registrationId`) or of every registration of the user (`userId`), deletes their status
   * history, and records a tombstone for the registration ids and the user id (with `now`).
   * A later `commitPage` that writes one of them again stores it and lists it in `returned`.
   * Rows stay (ids, event, status), so counts stay right. Idempotent.
   */
  forget(args: ForgetArgs): Promise<{ readonly registrations: number }>;

  // Connection
  /**
   * Optional: the database's own clock now (PostgreSQL: `clock_timestamp()`). This is the one
   * method that reads a clock other than the engine's: the engine compares it with its clock at
   * start and every `clockCheckEveryMs`, and claims no work while they differ by more than
   * `maxClockSkewMs` (leases and budgets written by processes with different clocks would be
   * wrong). A store without a clock of its own leaves it out, and the check is skipped.
   */
  databaseNow?(): Promise<Date>;

  /** Releases the store's resources (pools it created). Idempotent. */
  close(): Promise<void>;
}
