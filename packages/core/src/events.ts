import type { RowProblem, SerializedError } from "./store.js";
import type { EventRef, PassKind, SkippedRace, TierName } from "./types.js";

/** Which paged feed a page came from. */
export type Feed = "registrations" | "removals";

/** Fields every pass-related payload carries, so a log line can name connection, race and events. */
export interface PassInfo {
  readonly runId: string;
  readonly connectionId: string;
  readonly provider: string;
  readonly raceId: string;
  readonly eventIds: readonly string[];
  readonly kind: PassKind;
}

/**
 * The engine's typed events. Names are a contract (`domain:action`); each has one object payload
 * so fields can be added later. A listener that throws is reported on `listener:error` and never
 * stops the engine.
 */
export interface EngineEvents {
  /** The engine started its loop. */
  "engine:start": { readonly owner: string; readonly connectionIds: readonly string[] };
  /** The engine stopped: leases released, nothing in flight. */
  "engine:stop": { readonly owner: string; readonly graceful: boolean };
  /** A connection's discovery began. */
  "discovery:start": { readonly connectionId: string; readonly provider: string; readonly slot: Date };
  /** A connection's discovery ended, successfully or not (`error` set). */
  "discovery:finish": {
    readonly connectionId: string;
    readonly provider: string;
    readonly races: number;
    readonly newRaces: number;
    readonly newEvents: number;
    readonly changedEvents: number;
    readonly apiCalls: number;
    readonly durationMs: number;
    readonly error: SerializedError | null;
    /** Races and events the provider sent that could not be read; skipped, the rest was stored. */
    readonly skipped: readonly SkippedRace[];
  };
  /**
   * A connection's due discovery was not tried because its credential is paused (rejected or
   * throttled); it is tried again when the pause ends. Nothing was asked of the provider.
   */
  "discovery:skipped": {
    readonly connectionId: string;
    readonly provider: string;
    readonly slot: Date;
    readonly reason: "paused";
    /** When the pause ends and the discovery is tried again. */
    readonly until: Date;
    /** Why the connection is paused (`credentials rejected`, `rate-limited`), when the store knows. */
    readonly pauseReason: string | null;
  };
  /** Discovery stored a race it had not seen. */
  "race:new": { readonly connectionId: string; readonly provider: string; readonly raceId: string };
  /** Discovery stored an event it had not seen; a full backfill is queued. */
  "event:new": { readonly connectionId: string; readonly provider: string; readonly eventId: string; readonly raceId: string };
  /** A known event's start moved; it has been rescheduled. */
  "event:changed": {
    readonly provider: string;
    readonly eventId: string;
    readonly raceId: string;
    readonly previousStartsAt: Date;
    readonly startsAt: Date;
  };
  /** A pass began. `modifiedSince` is what is sent to the provider (null for a full pull). */
  "sync:start": PassInfo & { readonly modifiedSince: Date | null };
  /** A page committed. */
  "sync:page": PassInfo & {
    readonly feed: Feed;
    readonly rows: number;
    readonly inserted: number;
    readonly updated: number;
    readonly unchanged: number;
    readonly removed: number;
  };
  /** A pass committed completely; its cursor moved to `cursorAt`. */
  "sync:finish": PassInfo & {
    readonly apiCalls: number;
    readonly inserted: number;
    readonly updated: number;
    readonly unchanged: number;
    readonly removed: number;
    readonly vanished: number;
    /** Problems with provider data on the pass's pages (see `sync:invalid`). */
    readonly problems: number;
    readonly durationMs: number;
    readonly cursorAt: Date;
  };
  /** A pass failed; nothing past its last committed page was kept and the cursor did not move. */
  "sync:error": PassInfo & {
    readonly error: SerializedError;
    readonly failures: number;
    /** When the events are due again (backoff), or null when they will not be retried. */
    readonly retryAt: Date | null;
  };
  /**
   * A committed page had bad provider data: fields stored as null (the registration was written,
   * `raw` keeps what was sent) or rows that could not be stored at all (`skipped`). The rest of
   * the page committed. `problems` lists at most 20; `count` is the page's total.
   */
  "sync:invalid": PassInfo & {
    readonly feed: Feed;
    /** Problems on the page in all. */
    readonly count: number;
    /** How many of them are rows that were not stored at all. */
    readonly skipped: number;
    readonly problems: readonly RowProblem[];
  };
  /**
   * The provider refused a race to a connection's credentials (RunSignUp 7 on its participants).
   * The link is marked forbidden until discovery sees the race again for that connection; the
   * connection is not paused and its other races go on. `otherConnectionIds` are the connections
   * the race can still be synced through (empty: nobody can sync it for now).
   */
  "race:forbidden": {
    readonly connectionId: string;
    readonly provider: string;
    readonly raceId: string;
    /** Events of the race linked to the connection that were marked. */
    readonly eventIds: readonly string[];
    readonly error: SerializedError;
    readonly otherConnectionIds: readonly string[];
  };
  /** A reconciliation would have marked too many registrations vanished; it marked none. */
  "reconcile:refused": PassInfo & { readonly wouldVanish: number; readonly active: number; readonly maxShare: number };
  /** A connection's budget was paused (provider throttling, rejected credentials). */
  "budget:throttled": {
    readonly connectionId: string;
    readonly budgetKey: string;
    readonly until: Date;
    readonly reason: string;
  };
  /** The due work needs more calls than a connection's budget gives; the most urgent goes first. */
  "budget:over": {
    readonly connectionId: string;
    readonly budgetKey: string;
    /** Calls the due work needs now. */
    readonly neededCalls: number;
    /** Calls the budget can grant now. */
    readonly availableCalls: number;
    /** Events deferred to a later round. */
    readonly deferred: readonly EventRef[];
  };
  /** An event's pass is later than its tier allows. */
  "schedule:late": {
    readonly provider: string;
    readonly eventId: string;
    readonly raceId: string;
    readonly tier: TierName;
    readonly dueAt: Date;
    readonly lateByMs: number;
  };
  /** This process lost the lease on events it was syncing; their pass was abandoned. */
  "lease:lost": { readonly owner: string; readonly events: readonly EventRef[] };
  /** The engine pruned a batch of its own history (old runs, old status changes). */
  "history:pruned": {
    /** Finished runs deleted (their counts went into their events' history summaries). */
    readonly runs: number;
    /** Registration status changes deleted. */
    readonly statusChanges: number;
    readonly durationMs: number;
  };
  /**
   * A page brought back registrations of a person `forget` erased: the provider still sends
   * them, so they were stored again. Ids only.
   */
  "privacy:returned": PassInfo & { readonly registrations: readonly { readonly registrationId: string; readonly userId: string | null }[] };
  /** Retention anonymised registrations of events that ended before `endedBefore`. */
  "privacy:anonymised": { readonly endedBefore: Date; readonly anonymised: number; readonly batches: number };
  /** `forget` erased a person (ids only). */
  "privacy:forgotten": {
    readonly provider: string;
    readonly registrationId: string | null;
    readonly userId: string | null;
    readonly registrations: number;
  };
  /** `setConnections` changed the engine's connections (ids only, never a secret). */
  "connections:changed": {
    readonly added: readonly string[];
    readonly updated: readonly string[];
    readonly removed: readonly string[];
    readonly interrupted: readonly string[];
  };
  /**
   * The engine recovered on its own from an error that no pass or discovery owns: a store outage
   * in the loop's claim round (`loop`), a race task that threw outside its passes (`pass`), a
   * failure while handing back leases on stop (`shutdown`), a connection's background discovery
   * that failed before it could record itself (`discovery`: the store was unreachable), or a
   * failed background retention purge (`retention`, tried again an hour later). It carries on;
   * the next round retries.
   */
  "engine:error": { readonly phase: EngineErrorPhase; readonly error: SerializedError };
  /**
   * This host's clock differs from another clock the engine relies on. `source: "provider"`: a
   * connection's responses carry a provider time (its `Date` header) more than 5 s away; when this
   * host runs ahead, every cursor of the connection is kept `skewMs` earlier so no change is
   * skipped. Emitted when the skew first goes beyond 5 s, moves by 5 s or more, and (with
   * `exceeded: false`) when it comes back within 5 s. `source: "database"`: the database's `now()`
   * differs by more than `maxClockSkewMs`, so leases and budgets shared with other processes would
   * be wrong; the engine claims no work until the clocks agree again (`exceeded: false`).
   */
  "clock:skew": {
    readonly source: "provider" | "database";
    /** The connection whose provider was measured; null for the database. */
    readonly connectionId: string | null;
    readonly provider: string | null;
    /** This host's clock minus the other clock, in ms: positive when this host runs ahead. */
    readonly skewMs: number;
    /** This host's clock at the measurement. */
    readonly localTime: Date;
    /** The other clock at the measurement (the provider's `Date` header, the database's `now()`). */
    readonly remoteTime: Date;
    /** True while the skew is beyond its limit (5 s for a provider, `maxClockSkewMs` for the database). */
    readonly exceeded: boolean;
  };
  /** A listener threw; the engine carried on. */
  "listener:error": { readonly event: string; readonly error: unknown };
}

export type EngineEventName = keyof EngineEvents;

/** Where the engine recovered from an error on its own (`engine:error`). */
export type EngineErrorPhase = "loop" | "pass" | "shutdown" | "discovery" | "retention";

/**
 * The event map in the shape eventemitter3 types listeners from (one argument: the payload), so
 * `engine.on("sync:finish", (p) => p.cursorAt)` is checked. `EventEmitter<EngineEvents>` alone
 * would type every listener argument as `any`.
 */
export type EngineEventArgs = { [K in EngineEventName]: [payload: EngineEvents[K]] };
