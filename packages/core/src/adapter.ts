import type { Connection, Race, RegistrationPage, RemovalPage, SkippedRace } from "./types.js";

/** A granted request slot: call `release()` exactly once when the response has been read. */
export interface BudgetSlot {
  release(): void;
}

/**
 * A connection's request budget. Every request a provider adapter sends is charged here first,
 * so the limit holds no matter who calls the adapter.
 *
 * Guarantees of the engine's implementation (`createBudget`):
 * - no rolling hour ever holds more grants than the connection's `callsPerHour`, across every
 *   process that shares the store;
 * - never more than `maxInFlight` slots are held at once for one budget key;
 * - `acquire` waits (on the engine's clock) rather than failing when the budget is spent, and
 *   rejects with the signal's reason when the signal aborts.
 */
export interface Budget {
  /** Waits for a call token and an in-flight slot, then returns the slot. */
  acquire(signal?: AbortSignal): Promise<BudgetSlot>;
}

/** What every adapter call receives besides its own arguments. */
export interface CallContext {
  /** The connection's budget; charge each request to it before sending. */
  readonly budget: Budget;
  /** Aborts the whole call (engine stopping, lease lost). */
  readonly signal: AbortSignal;
  /** The engine's current instant, for adapters that need one (date windows). */
  readonly now: Date;
  /**
   * Reports the provider's own clock: call it with the instant the provider stamped on each
   * response (an HTTP `Date` header), as soon as the response arrives. The engine compares it
   * with its clock and, when this host runs ahead of the provider, keeps cursors that much
   * earlier, so a `modifiedSince` never skips changes the provider stamped with its slower
   * clock. Optional both ways: an adapter whose provider states no time does not call it, and a
   * caller that does not track skew leaves it out. It must not throw; adapters ignore it if it does.
   */
  readonly observeServerTime?: ((serverTime: Date) => void) | undefined;
}

/** The date window discovery lists races in. */
export interface DiscoveryWindow {
  readonly from: Date;
  readonly to: Date;
}

export interface FetchRegistrationsArgs {
  readonly raceId: string;
  /** The events of the race to fetch, in one call where the provider allows it. */
  readonly eventIds: readonly string[];
  /** Only rows modified at or after this instant (inclusive). Absent: a full pull. */
  readonly modifiedSince?: Date | undefined;
  /** Resume after this keyset position (a page's `after`). Absent: from the beginning. */
  readonly after?: string | undefined;
}

/**
 * One provider, implemented once per platform. Stateless apart from its HTTP client.
 *
 * Contract (asserted by `runAdapterConformance`):
 * - Every request is charged to `ctx.budget` before it is sent; none is sent after
 *   `ctx.signal` aborts.
 * - Errors are typed `SyncError`s (`AuthError`, `ForbiddenError`, `RateLimitedError`,
 *   `ProviderError`, `NotFoundError`, `SchemaError`); an error response is never turned into an
 *   empty page. `AuthError` is for credentials the provider rejects outright (the engine pauses
 *   the connection); `ForbiddenError` for one race the credentials may not read (the engine
 *   routes that race through another connection and leaves the connection's other races alone).
 * - Pages follow keyset order: resuming with a page's `after` yields exactly the rows after it.
 *   The last page of a pass has `after === null`.
 * - Bad provider data in one row never fails a page: a field it cannot read is null with a
 *   `problems` entry, a row it cannot read at all goes in the page's `skipped` (and still counts
 *   towards the page being full, so paging moves past it).
 * - Every instant is a UTC `Date`; wall-clock strings are converted with the race's zone here.
 * - The adapter never writes to a store.
 */
export interface ProviderAdapter {
  /** The provider's name, e.g. `runsignup`: the `provider` of everything it returns. */
  readonly provider: string;

  /**
   * Optional: the most registrations one `fetchRegistrations` page holds (RunSignUp:
   * `results_per_page`, at most 2,500). When given, the engine reads a race that fits in one page
   * whole instead of incrementally: the same one call then also shows its removals (a
   * registration missing from a whole pull is marked `vanished` at once; the removal feed later
   * gives the reason). Without it the engine never assumes a full pull costs one call.
   */
  readonly pageSize?: number;

  /**
   * Every race (with its events) the connection can see in the window. A race or event the
   * adapter cannot read (unknown time zone, unreadable start, a required field missing) is
   * yielded as a `SkippedRace` instead of failing the discovery; the race is yielded with its
   * readable events beside the skip of an unreadable one.
   */
  listRaces(conn: Connection, window: DiscoveryWindow, ctx: CallContext): AsyncIterable<Race | SkippedRace>;

  /** Registrations of some events of one race, page by page, in keyset order. */
  fetchRegistrations(conn: Connection, args: FetchRegistrationsArgs, ctx: CallContext): AsyncIterable<RegistrationPage>;

  /** The removal feed (refunds, cancellations, transfers, deferrals), page by page. */
  fetchRemovals(conn: Connection, args: FetchRegistrationsArgs, ctx: CallContext): AsyncIterable<RemovalPage>;

  /**
   * Optional: frees what the adapter holds for one connection (its keep-alive sockets), for
   * whoever removes a connection from a running engine. Requests of the connection still in
   * flight finish first; a later call with the connection opens its resources again.
   */
  closeConnection?(connectionId: string): Promise<void>;
}
