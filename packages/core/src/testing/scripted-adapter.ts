import type { BudgetSlot, CallContext, DiscoveryWindow, FetchRegistrationsArgs, ProviderAdapter } from "../adapter.js";
import type { Clock } from "../clock.js";
import { AbortedError, ConfigError, NotFoundError, SyncError } from "../errors.js";
import type { Connection, Page, Race, SkippedRow } from "../types.js";
import { compareIds } from "./memory-state.js";
import { ScriptedDataset, type ScriptedDatasetInput, type ScriptedRace } from "./scripted-dataset.js";

/** The kinds of request the scripted provider answers. */
export type ScriptedCallKind = "listRaces" | "registrations" | "removals";

/** One request as the scripted provider saw it. */
export interface ScriptedCall {
  /** 1-based number of the request since the adapter was created (or the log was reset). */
  readonly n: number;
  readonly kind: ScriptedCallKind;
  readonly connectionId: string;
  /** Null for `listRaces`. */
  readonly raceId: string | null;
  readonly eventIds: readonly string[];
  readonly modifiedSince: Date | null;
  readonly after: string | null;
  /** The clock's instant when the request was sent (after its budget slot was granted). */
  readonly at: Date;
}

/** A scripted failure: the first request matching every given field rejects with `error`. */
export interface ScriptedFailure {
  /** Only the request with this number (`ScriptedCall.n`). */
  readonly call?: number | undefined;
  readonly kind?: ScriptedCallKind | undefined;
  readonly raceId?: string | undefined;
  /** Only requests made with this connection (a race refused to one partner's credentials, a revoked key). */
  readonly connectionId?: string | undefined;
  /** The error to reject with: any `SyncError` (AuthError, ForbiddenError, RateLimitedError, ...). */
  readonly error: SyncError;
  /** How many matching requests fail. Default 1; `Infinity` for every one. */
  readonly times?: number | undefined;
}

/** Options of `createScriptedAdapter`. */
export interface ScriptedAdapterOptions {
  /** The provider name of the adapter and of everything it returns. Default `scripted`. */
  readonly provider?: string;
  /** Rows per registrations/removals page. Default 100. */
  readonly pageSize?: number;
  /**
   * Declare the page size as `ProviderAdapter.pageSize`, so the engine reads a race that fits in
   * one page whole. Default false: the call counts most tests assert are incremental ones.
   */
  readonly declarePageSize?: boolean;
  /** Races per `listRaces` request. Default 50. */
  readonly racePageSize?: number;
  /** The starting data, or a dataset the test keeps a handle on. */
  readonly dataset?: ScriptedDatasetInput | ScriptedDataset;
  /** The clock that stamps calls and runs delays. Required when `delayMs` is used. */
  readonly clock?: Clock;
  /** Simulated response time of each request, in clock time. Default 0. */
  readonly delayMs?: number | ((call: ScriptedCall) => number);
}

/** A `ProviderAdapter` over a mutable in-memory dataset, with scripting and a call log. */
export interface ScriptedAdapter extends ProviderAdapter {
  /** The provider's data; mutate it to script registrations, removals and moved starts. */
  readonly dataset: ScriptedDataset;
  /** Every request sent, in order. */
  readonly calls: readonly ScriptedCall[];
  /** Requests being answered right now. */
  readonly inFlight: number;
  /** The most requests ever answered at once. */
  readonly maxInFlight: number;
  /** Queues a failure; see `ScriptedFailure`. */
  failOn(failure: ScriptedFailure): void;
  /** Drops every queued failure. */
  clearFailures(): void;
  /** Changes the simulated response time of later requests. */
  setDelay(delayMs: number | ((call: ScriptedCall) => number)): void;
  /** Changes the page size of later requests. */
  setPageSize(pageSize: number): void;
  /** Clears the call log and the max-in-flight mark (queued failures stay). */
  resetLog(): void;
}

function abortError(signal: AbortSignal): SyncError {
  const reason: unknown = signal.reason;
  return reason instanceof SyncError ? reason : new AbortedError("[scripted] request aborted", { cause: reason });
}

function checkSize(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new ConfigError(`[scripted] ${name} must be a positive integer, got ${value}`, [{ path: name, message: "positive integer" }]);
  return value;
}

/**
 * Creates a fake provider that behaves like a real one: every request is charged to
 * `ctx.budget` first and released after its response, `ctx.signal` stops it between and during
 * requests, pages follow registration-id keyset order with an inclusive `modifiedSince`, and
 * errors are typed. Tests script it through `dataset`, `failOn` and `delayMs`, and assert on
 * `calls`, `inFlight` and `maxInFlight`.
 */
export function createScriptedAdapter(options: ScriptedAdapterOptions = {}): ScriptedAdapter {
  const provider = options.provider ?? "scripted";
  const dataset = options.dataset instanceof ScriptedDataset ? options.dataset : new ScriptedDataset(options.dataset);
  const clock = options.clock;
  let pageSize = checkSize("pageSize", options.pageSize ?? 100);
  const racePageSize = checkSize("racePageSize", options.racePageSize ?? 50);
  let delay = options.delayMs ?? 0;
  let calls: ScriptedCall[] = [];
  let callCount = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const failures: { failure: ScriptedFailure; left: number }[] = [];

  function takeFailure(call: ScriptedCall): SyncError | null {
    for (const entry of failures) {
      const f = entry.failure;
      if (entry.left <= 0) continue;
      if (f.call !== undefined && f.call !== call.n) continue;
      if (f.kind !== undefined && f.kind !== call.kind) continue;
      if (f.raceId !== undefined && f.raceId !== call.raceId) continue;
      if (f.connectionId !== undefined && f.connectionId !== call.connectionId) continue;
      entry.left--;
      return f.error;
    }
    return null;
  }

  /** One request: budget slot, log entry, simulated latency, scripted failure, answer. */
  async function request<T>(ctx: CallContext, base: Omit<ScriptedCall, "n" | "at">, answer: () => T): Promise<T> {
    if (ctx.signal.aborted) throw abortError(ctx.signal);
    let slot: BudgetSlot;
    try {
      slot = await ctx.budget.acquire(ctx.signal);
    } catch (error) {
      throw ctx.signal.aborted ? abortError(ctx.signal) : error;
    }
    try {
      if (ctx.signal.aborted) throw abortError(ctx.signal);
      callCount++;
      const call: ScriptedCall = { ...base, n: callCount, at: clock?.now() ?? new Date(ctx.now) };
      calls.push(call);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        const ms = typeof delay === "function" ? delay(call) : delay;
        if (ms > 0) {
          if (clock === undefined)
            throw new ConfigError("[scripted] delayMs needs the `clock` option", [{ path: "clock", message: "required with delayMs" }]);
          try {
            await clock.sleep(ms, ctx.signal);
          } catch {
            throw abortError(ctx.signal);
          }
        } else {
          await Promise.resolve();
        }
        if (ctx.signal.aborted) throw abortError(ctx.signal);
        const failure = takeFailure(call);
        if (failure !== null) throw failure;
        return answer();
      } finally {
        inFlight--;
      }
    } finally {
      slot.release();
    }
  }

  function visibleRace(conn: Connection, raceId: string): ScriptedRace {
    const race = dataset.race(raceId);
    if (race === undefined || (race.visibleTo !== undefined && !race.visibleTo.includes(conn.id))) {
      throw new NotFoundError(`[scripted] race ${raceId}: not found`);
    }
    return race;
  }

  async function* pages<Row extends { readonly registrationId: string; readonly eventId: string; readonly modifiedAt: Date | null }>(
    kind: "registrations" | "removals",
    conn: Connection,
    args: FetchRegistrationsArgs,
    ctx: CallContext,
    rowsOf: (eventIds: readonly string[]) => Row[],
  ): AsyncGenerator<Page<Row>> {
    let after = args.after ?? null;
    for (;;) {
      const position = after;
      const page = await request(
        ctx,
        {
          kind,
          connectionId: conn.id,
          raceId: args.raceId,
          eventIds: [...args.eventIds],
          modifiedSince: args.modifiedSince ?? null,
          after: position,
        },
        () => {
          const race = visibleRace(conn, args.raceId);
          const unknown = args.eventIds.filter((id) => !race.events.some((e) => e.eventId === id));
          if (unknown.length > 0) throw new NotFoundError(`[scripted] race ${args.raceId}: event(s) ${unknown.join(", ")} not found`);
          const since = args.modifiedSince?.getTime();
          const rows = rowsOf(args.eventIds)
            .filter((r) => since === undefined || (r.modifiedAt !== null && r.modifiedAt.getTime() >= since))
            .filter((r) => position === null || compareIds(r.registrationId, position) > 0)
            .slice(0, pageSize)
            .map((r) => structuredClone(r));
          const last = rows[rows.length - 1];
          const after = rows.length === pageSize && last !== undefined ? last.registrationId : null;
          const skipped: SkippedRow[] = [];
          for (const r of rows) {
            const problem = dataset.unreadable(r.registrationId);
            if (problem !== undefined) skipped.push({ registrationId: r.registrationId, eventId: r.eventId, ...problem });
          }
          if (skipped.length === 0) return { rows, after };
          return { rows: rows.filter((r) => dataset.unreadable(r.registrationId) === undefined), after, skipped };
        },
      );
      yield page;
      if (page.after === null) return;
      after = page.after;
    }
  }

  async function* listRaces(conn: Connection, window: DiscoveryWindow, ctx: CallContext): AsyncGenerator<Race> {
    const from = window.from.getTime();
    const to = window.to.getTime();
    let offset = 0;
    for (;;) {
      const start = offset;
      const batch = await request(
        ctx,
        {
          kind: "listRaces",
          connectionId: conn.id,
          raceId: null,
          eventIds: [],
          modifiedSince: null,
          after: start === 0 ? null : String(start),
        },
        () =>
          dataset
            .races()
            .filter((r) => r.visibleTo === undefined || r.visibleTo.includes(conn.id))
            .filter((r) => r.events.some((e) => e.startsAt.getTime() >= from && e.startsAt.getTime() <= to))
            .slice(start, start + racePageSize),
      );
      for (const race of batch) {
        const { visibleTo: _visibleTo, ...plain } = race;
        yield plain;
      }
      if (batch.length < racePageSize) return;
      offset += racePageSize;
    }
  }

  const adapter: ScriptedAdapter = {
    provider,
    dataset,
    get calls() {
      return calls;
    },
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    failOn(failure) {
      failures.push({ failure, left: failure.times ?? 1 });
    },
    clearFailures() {
      failures.length = 0;
    },
    setDelay(delayMs) {
      delay = delayMs;
    },
    setPageSize(size) {
      pageSize = checkSize("pageSize", size);
    },
    resetLog() {
      calls = [];
      callCount = 0;
      maxInFlight = inFlight;
    },
    listRaces,
    fetchRegistrations: (conn, args, ctx) => pages("registrations", conn, args, ctx, (ids) => dataset.registrations(ids)),
    fetchRemovals: (conn, args, ctx) => pages("removals", conn, args, ctx, (ids) => dataset.removals(ids)),
  };
  if (options.declarePageSize === true) Object.defineProperty(adapter, "pageSize", { get: () => pageSize, enumerable: true });
  return adapter;
}
