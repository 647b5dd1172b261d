import type { BudgetState, BudgetTake, TakeBudgetArgs } from "./store-budgets.js";
import type { DiscoveryDiff, MarkForbiddenArgs, SaveDiscoveryArgs } from "./store-catalog.js";
import type { DiscoveryRecord } from "./store-discovery.js";
import type { EventHistorySummary, PruneHistoryArgs, PruneHistoryResult } from "./store-history.js";
import type { ClaimArgs, CommitPageArgs, FailRunArgs, PageWriteResult, RunStatus, StartRunArgs, SyncRun } from "./store-passes.js";
import type { AnonymiseArgs, ForgetArgs } from "./store-privacy.js";
import type { SerializedError, StoredEvent, StoredRegistration, SyncStatePatch } from "./store-records.js";
import type { EventSummary, WorkingSetArgs } from "./store-working-set.js";
import type { EventRef } from "./types.js";

// The interface's types live beside it, one file a concern; this file re-exports them all.
export type * from "./store-budgets.js";
export type * from "./store-catalog.js";
export type * from "./store-discovery.js";
export type * from "./store-history.js";
export type * from "./store-passes.js";
export type * from "./store-privacy.js";
export type * from "./store-records.js";
export type * from "./store-working-set.js";

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
