import type { EventEmitter } from "eventemitter3";
import type { ProviderAdapter } from "./adapter.js";
import type { Clock } from "./clock.js";
import type { EngineEventArgs } from "./events.js";
import type { BudgetState, DiscoveryRecord, EventSummary, ForbiddenLink, RowProblem, SerializedError, SyncStore } from "./store.js";
import type { Connection, EventRef, PassKind, TierName } from "./types.js";

export type { ScheduleInput, TierInput } from "./schedule-schema.js";
import type { ScheduleInput } from "./schedule-schema.js";

/** A connection as given to the engine; budget fields default to RunSignUp's rule (1000/h, 2 in flight). */
export type ConnectionInput = Omit<Connection, "budgetKey" | "callsPerHour" | "maxInFlight"> & {
  /**
   * The budget's key. Default: the provider and a SHA-256 digest of the credentials, so two
   * connection ids with the same real key share one budget and two different keys never do.
   */
  readonly budgetKey?: string | undefined;
  readonly callsPerHour?: number | undefined;
  readonly maxInFlight?: number | undefined;
  /** Token-bucket burst (20): at most this many calls back to back; the rest refills evenly. */
  readonly burst?: number | undefined;
  /** Tokens less urgent work leaves for the most urgent tier (a quarter of the burst); below `burst`. */
  readonly urgentReserve?: number | undefined;
};

export interface SyncEngineOptions {
  /** One adapter per provider name. */
  readonly adapters: readonly ProviderAdapter[];
  readonly store: SyncStore;
  readonly connections: readonly ConnectionInput[];
  readonly schedule?: ScheduleInput | undefined;
  /** Defaults to the system clock. */
  readonly clock?: Clock | undefined;
  /** Lease owner name of this process (host:pid:random). */
  readonly owner?: string | undefined;
  /** Lease length (60 s); leases are renewed at a third of it while a pass runs. */
  readonly leaseMs?: number | undefined;
  /** How often the loop looks for due work when idle (1 s of clock time). */
  readonly pollMs?: number | undefined;
  /** Random source for jitter (tests make it deterministic). */
  readonly random?: (() => number) | undefined;
  /**
   * The most this host's clock may differ from the database's `now()` (30 s; null: never
   * checked). Checked at `start()`, `runOnce()`, `discover()` and `syncEvent()` (a `ClockSkewError`
   * when over) and every `clockCheckEveryMs` while running (no new work is claimed while over;
   * `clock:skew` tells). Skipped for a store without `databaseNow`.
   */
  readonly maxClockSkewMs?: number | null | undefined;
  /** How often a running engine compares its clock with the database's (5 min). */
  readonly clockCheckEveryMs?: number | undefined;
  /**
   * How long an event stays in `status()` after it ended and its syncing stopped (7 days).
   * Older finished events are only counted (`status().summary`), never loaded.
   */
  readonly recentEventsMs?: number | undefined;
  /** Retention of the engine's own history; see `HistoryInput`. */
  readonly history?: HistoryInput | undefined;
  /**
   * Personal-data retention (off when absent): registrations of events that ended (`endsAt`, else
   * `startsAt`) more than `days` days ago are anonymised once a day by the running engine and by
   * `purge()`, `batchSize` (1000) rows per store transaction.
   */
  readonly retention?: { readonly days: number; readonly batchSize?: number | undefined } | undefined;
}

/**
 * Retention of the engine's own history. The running engine deletes, in batches, finished runs
 * and registration status changes older than these ages, keeping per event a summary of what it
 * deleted (`SyncStore.listHistorySummaries`). Registrations are never deleted.
 */
export interface HistoryInput {
  /** Age past which finished runs are pruned (90 days); null keeps them all. */
  readonly runsMaxAgeMs?: number | null | undefined;
  /** Age past which status changes are pruned; null (the default) keeps them all. */
  readonly statusChangesMaxAgeMs?: number | null | undefined;
  /** Rows of each table per prune (500). */
  readonly batchSize?: number | undefined;
  /** How often to prune once caught up (1 hour). */
  readonly everyMs?: number | undefined;
}

/** What `setConnections` changed, by connection id (never a secret). */
export interface ConnectionsChange {
  readonly added: readonly string[];
  /** Connections whose credentials, base URL, budget or privacy settings changed. */
  readonly updated: readonly string[];
  readonly removed: readonly string[];
  /** Of `updated` and `removed`: connections whose running passes were aborted (to rerun with the new settings). */
  readonly interrupted: readonly string[];
}

/** Whom `forget()` erases: one registration, or every registration of one provider user. */
export type ForgetSubject =
  | { readonly provider: string; readonly registrationId: string; readonly userId?: undefined }
  | { readonly provider: string; readonly userId: string; readonly registrationId?: undefined };

/** What `purge()` did. */
export interface PurgeResult {
  /** Registrations of events that ended before this instant were anonymised. */
  readonly endedBefore: Date;
  readonly anonymised: number;
  /** Store transactions it took. */
  readonly batches: number;
}

/** What `syncEvent` and a loop round report. */
export interface PassResult {
  readonly runId: string | null;
  readonly connectionId: string | null;
  readonly provider: string;
  readonly raceId: string;
  readonly eventIds: readonly string[];
  readonly kind: PassKind;
  readonly ok: boolean;
  readonly apiCalls: number;
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly removed: number;
  readonly vanished: number;
  /** Problems with provider data on the pass's committed pages (skipped rows and nulled fields). */
  readonly problems: number;
  readonly error: SerializedError | null;
}

/** Summary of `runOnce`. */
export interface RunOnceResult {
  readonly discovered: boolean;
  readonly passes: readonly PassResult[];
  readonly failed: number;
}

export interface EventStatus {
  readonly provider: string;
  readonly eventId: string;
  readonly raceId: string;
  readonly raceName: string;
  readonly name: string;
  readonly timezone: string;
  readonly startsAt: Date;
  readonly tier: TierName;
  readonly nextSyncAt: Date | null;
  readonly lastSuccessAt: Date | null;
  readonly backfilled: boolean;
  readonly registrations: number;
  readonly failures: number;
  readonly lastError: SerializedError | null;
  readonly late: boolean;
  readonly connectionIds: readonly string[];
  /** Connections of `connectionIds` the provider refused this event's race to. */
  readonly forbidden: readonly ForbiddenLink[];
}

/** A race the provider refused to a connection's credentials (until discovery sees it again). */
export interface ForbiddenRace {
  readonly provider: string;
  readonly raceId: string;
  readonly raceName: string;
  readonly eventIds: readonly string[];
  /** When the refusal was first recorded. */
  readonly since: Date;
  readonly error: SerializedError;
  /** Whether another connection can still sync the race. */
  readonly rerouted: boolean;
}

export interface ConnectionStatus {
  readonly id: string;
  readonly provider: string;
  readonly budgetKey: string;
  readonly callsPerHour: number;
  readonly maxInFlight: number;
  readonly callsLastHour: number;
  readonly tokens: number;
  readonly inFlight: number;
  readonly pausedUntil: Date | null;
  /** The newest error of this connection: its latest failed pass's, or its latest discovery's when that failed. */
  readonly lastError: SerializedError | null;
  readonly lastDiscovery: DiscoveryRecord | null;
  /** Races the provider refused to this connection; they are synced through others, or not at all. */
  readonly forbiddenRaces: readonly ForbiddenRace[];
  /**
   * This host's clock minus the provider's, in ms, from the latest response of this connection
   * (positive: this host runs ahead, and cursors are kept that much earlier); null before any
   * response in this process. Worth showing beyond 5 s (`SKEW_REPORT_MS`).
   */
  readonly clockSkewMs: number | null;
}

/** A recent pass that met bad provider data (from the store's run history). */
export interface ProblemRunStatus {
  readonly runId: string;
  readonly connectionId: string;
  readonly provider: string;
  readonly raceId: string;
  readonly eventIds: readonly string[];
  readonly kind: PassKind;
  readonly startedAt: Date;
  readonly problems: number;
  /** The run's first problems (at most 20). */
  readonly sample: readonly RowProblem[];
}

export interface EngineStatus {
  readonly owner: string;
  readonly running: boolean;
  readonly now: Date;
  /**
   * The working set: every event not done, plus those that ended within `recentEventsMs`
   * (at most `STATUS_MAX_EVENTS`, earliest start first). Older finished events are in `summary`.
   */
  readonly events: readonly EventStatus[];
  /**
   * Counts over every stored event of this engine's providers, finished ones included; read at
   * most once a minute (they are the one part of status whose cost grows with history).
   */
  readonly summary: EventSummary;
  readonly connections: readonly ConnectionStatus[];
  readonly budgets: readonly BudgetState[];
  /** The most recent passes (up to 20) that recorded problems with provider data, newest first. */
  readonly problemRuns: readonly ProblemRunStatus[];
  /** This host's clock minus the database's `now()` at the latest check, in ms; null when never checked. */
  readonly databaseClockSkewMs: number | null;
}

/** One hour of a connection's forecast. */
export interface PlanHour {
  readonly start: Date;
  readonly calls: number;
  readonly budget: number;
  readonly over: boolean;
}

export interface PlanConnection {
  readonly id: string;
  readonly callsPerHour: number;
  readonly hours: readonly PlanHour[];
  /** Events whose syncs will run later than their tier allows, with the first late hour. */
  readonly lateEvents: readonly (EventRef & { readonly raceId: string; readonly tier: TierName; readonly from: Date })[];
}

export interface PlanReport {
  readonly generatedAt: Date;
  readonly hours: number;
  readonly connections: readonly PlanConnection[];
}

/** The engine. All methods are safe to call while the loop runs. */
export interface SyncEngine extends EventEmitter<EngineEventArgs> {
  readonly owner: string;
  /**
   * Starts the loop: discovery when due, then due passes as their time comes. Rejects with a
   * `ClockSkewError` (nothing started) when this host's clock and the database's differ by more
   * than `maxClockSkewMs`.
   */
  start(): Promise<void>;
  /**
   * Stops claiming, lets each page in flight commit (or abandons it unwritten after `timeoutMs`),
   * releases leases, and resolves when nothing is running.
   */
  stop(options?: { readonly timeoutMs?: number }): Promise<void>;
  /** Discovers if due, then drains all work due now; resolves when done. */
  runOnce(): Promise<RunOnceResult>;
  /** Runs discovery for every connection now (or only `connectionIds`), regardless of the ledger. */
  discover(options?: { readonly connectionIds?: readonly string[] }): Promise<void>;
  /** One pass of one event now: incremental, or a full pull with `full`. */
  syncEvent(ref: EventRef, options?: { readonly full?: boolean }): Promise<PassResult>;
  /**
   * Working-set status: events not done and recently ended ones, connections, budgets, and
   * totals over all events. Its cost follows the working set, not the years of history.
   */
  status(): Promise<EngineStatus>;
  /**
   * A cheap readiness check for probes: true while the loop runs and the store answers one
   * round trip, false when the loop is stopped; rejects when the store cannot answer.
   */
  ready(): Promise<boolean>;
  /** Forecast of API calls per connection per hour over the next `hours` against the budget. */
  plan(hours?: number): Promise<PlanReport>;
  /**
   * Replaces the engine's connections while it runs: adds new ids, updates changed ones (new
   * secret, budget, privacy settings) and removes absent ones. A removed connection's held leases
   * are released and its running passes aborted (their events stay due for any connection that
   * sees them, with no failure recorded); its data is kept. A connection whose credentials, base
   * URL, provider or privacy settings changed has its running passes aborted too, so nothing
   * runs on with the old secret; a budget change applies to the next request. An empty list is
   * allowed (the engine idles). A list that does not validate is a `ConfigError` naming its
   * paths, and nothing changes.
   */
  setConnections(connections: readonly ConnectionInput[]): Promise<ConnectionsChange>;
  /**
   * Anonymises now, in batches, the registrations of events that ended more than `retention.days`
   * ago (or `days`, when given). A `ConfigError` when no retention is configured nor given.
   */
  purge(options?: { readonly days?: number }): Promise<PurgeResult>;
  /**
   * Erases one person's personal columns, raw JSON and status history, and records a tombstone so
   * a later sync that brings them back says so (`privacy:returned`). Returns how many
   * registrations it cleared.
   */
  forget(subject: ForgetSubject): Promise<{ readonly registrations: number }>;
}
