import type { EventEmitter } from "eventemitter3";
import type { ProviderAdapter } from "./adapter.js";
import type { Clock } from "./clock.js";
import type { EngineEventArgs } from "./events.js";
import type { BudgetState, DiscoveryRecord, EventSummary, SerializedError, SyncStore } from "./store.js";
import type { Connection, EventRef, PassKind, TierName } from "./types.js";

/** One scheduling tier: applies while the time until the start is at most `withinMs`. */
export interface TierInput {
  readonly name: TierName;
  /** The tier applies when the start is at most this far ahead (ms). The widest tier may omit it. */
  readonly withinMs?: number | undefined;
  /** Sync every this many ms while in the tier. */
  readonly everyMs: number;
}

/**
 * Schedule options (all optional; defaults in parentheses). Validated once with zod; a bad value
 * is a `ConfigError` naming its path.
 */
export interface ScheduleInput {
  /** Tiers, most urgent first (high: within 4 h, every 1 min; medium: 24 h, 15 min; low: 240 min). */
  readonly tiers?: readonly TierInput[] | undefined;
  /** Syncing stops this long after the start; then one final reconciliation (1 h). */
  readonly stopAfterStartMs?: number | undefined;
  /** UTC times of day discovery runs at, `HH:MM` (["06:00", "18:00"]). */
  readonly discoveryTimes?: readonly string[] | undefined;
  /** Discovery lists races from `now - lookBehindMs` to `now + lookAheadMs` (1 day, 365 days). */
  readonly discoveryLookBehindMs?: number | undefined;
  readonly discoveryLookAheadMs?: number | undefined;
  /** Subtracted from the cursor for `modifiedSince` (60 s). */
  readonly overlapMs?: number | undefined;
  /** The removal feed runs with every pass within this long of the start (1 h)... */
  readonly removalsEveryPassWithinMs?: number | undefined;
  /** ...and at most this often otherwise (15 min). */
  readonly removalsEveryMs?: number | undefined;
  /** Daily reconciliation applies to events starting within this long (7 days); every `reconcileEveryMs` (24 h). */
  readonly reconcileWithinMs?: number | undefined;
  readonly reconcileEveryMs?: number | undefined;
  /** A reconciliation that would mark more than this share of an event's registrations vanished is refused (0.2). */
  readonly maxVanishShare?: number | undefined;
  /** Backoff after failures: base, cap (30 s, 30 min), with full jitter. */
  readonly backoffBaseMs?: number | undefined;
  readonly backoffMaxMs?: number | undefined;
}

/** A connection as given to the engine; budget fields default to RunSignUp's rule (1000/h, 2 in flight). */
export type ConnectionInput = Omit<Connection, "budgetKey" | "callsPerHour" | "maxInFlight"> & {
  readonly budgetKey?: string | undefined;
  readonly callsPerHour?: number | undefined;
  readonly maxInFlight?: number | undefined;
  /** Token-bucket burst (20): at most this many calls back to back; the rest refills evenly. */
  readonly burst?: number | undefined;
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
   * How long an event stays in `status()` after it ended and its syncing stopped (7 days).
   * Older finished events are only counted (`status().summary`), never loaded.
   */
  readonly recentEventsMs?: number | undefined;
  /** Retention of the engine's own history; see `HistoryInput`. */
  readonly history?: HistoryInput | undefined;
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
  readonly lastError: SerializedError | null;
  readonly lastDiscovery: DiscoveryRecord | null;
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
  /** Starts the loop: discovery when due, then due passes as their time comes. */
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
}
