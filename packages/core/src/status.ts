import { usableConnectionIds } from "./dispatch.js";
import type { ConnectionStatus, EngineStatus, EventStatus, ForbiddenRace, ProblemRunStatus } from "./engine-types.js";
import type { DiscoveryRecord, SerializedError, SyncRun } from "./store.js";
import type { ResolvedOptions } from "./options.js";
import type { EventSummary } from "./store.js";
import { allowedIntervalMs, tierAt } from "./policy.js";

/** What the engine measured of other clocks, for `status()`. */
export interface ClockReadings {
  /** A connection's latest provider skew (ms), or null. */
  providerSkewMs(connectionId: string): number | null;
  readonly databaseSkewMs: number | null;
}

/**
 * The most events `status()` lists. The working set of a busy season is a few thousand events;
 * the cap keeps one odd store (a discovery that found far more than expected) from making every
 * status read, page and scrape load it all.
 */
export const STATUS_MAX_EVENTS = 10_000;

/**
 * How long the totals over every event serve `status()`. They are the one part of status that
 * reads all of history (a count over every event), and they change by a few events a day; the
 * working set itself is read fresh every time.
 */
export const SUMMARY_MAX_AGE_MS = 60_000;

/** The totals of `status().summary`, read from the store at most once per `SUMMARY_MAX_AGE_MS`. */
export interface SummaryCache {
  get(): Promise<EventSummary>;
  /** Reads the totals now, whatever their age (they are known to be behind). */
  refresh(): Promise<EventSummary>;
}

/** Creates the engine's summary cache (one per engine, on the engine's clock). */
export function createSummaryCache(options: ResolvedOptions): SummaryCache {
  let cached: { at: number; value: Promise<EventSummary> } | null = null;
  const read = (now: number): Promise<EventSummary> => {
    const value = options.store.summarizeEvents({ providers: [...options.adapters.keys()] });
    const entry = { at: now, value };
    // A failed read is not kept: the next status call asks again.
    value.catch(() => {
      if (cached === entry) cached = null;
    });
    cached = entry;
    return value;
  };
  return {
    get() {
      const now = options.clock.now().getTime();
      if (cached === null || now - cached.at >= SUMMARY_MAX_AGE_MS) return read(now);
      return cached.value;
    },
    refresh: () => read(options.clock.now().getTime()),
  };
}

/**
 * Builds `status()`: the working set (events not done, plus recently ended ones) with tier and
 * lateness, every connection with its budget, and totals over every event counted by the store.
 */
export async function buildStatus(
  options: ResolvedOptions,
  running: boolean,
  clocks?: ClockReadings,
  summaries: SummaryCache = createSummaryCache(options),
): Promise<EngineStatus> {
  const { store, clock, schedule } = options;
  const now = clock.now();
  const providers = new Set(options.adapters.keys());
  const keys = [...new Set(options.connections.map((c) => c.budgetKey))];
  const recentSince = new Date(now.getTime() - options.recentEventsMs);
  const [stored, cachedSummary, budgets, discoveries, failedRuns, problemRuns] = await Promise.all([
    store.listWorkingSet({ recentSince, providers: [...providers], limit: STATUS_MAX_EVENTS }),
    summaries.get(),
    store.getBudgets({ now, keys }),
    store.lastDiscoveries({ connectionIds: options.connections.map((c) => c.id) }),
    store.listRuns({ limit: 200, status: "failed" }),
    store.listRuns({ limit: 20, withProblems: true }),
  ]);
  // Totals cached before a discovery (a fresh start) would read "2 current events of 0" for a
  // minute: more events in the working set than in the totals means they are behind.
  const summary = stored.length > cachedSummary.events ? await summaries.refresh() : cachedSummary;
  const events: EventStatus[] = stored
    .filter((e) => providers.has(e.provider))
    .map((e) => {
      const s = e.state;
      const late = s.nextDueAt !== null && now.getTime() - s.nextDueAt.getTime() > allowedIntervalMs(e, s.nextDueAt, schedule);
      return {
        provider: e.provider,
        eventId: e.eventId,
        raceId: e.raceId,
        raceName: e.raceName,
        name: e.name,
        timezone: e.timezone,
        startsAt: e.startsAt,
        tier: tierAt(e, now, schedule).name,
        nextSyncAt: s.nextDueAt,
        lastSuccessAt: s.lastSuccessAt,
        backfilled: s.backfilledAt !== null,
        registrations: e.activeRegistrations,
        failures: s.failures,
        lastError: s.lastError,
        late,
        connectionIds: e.connectionIds,
        forbidden: e.forbidden,
      };
    });
  const connections: ConnectionStatus[] = options.connections.map((c) => {
    const budget = budgets.find((b) => b.key === c.budgetKey);
    return {
      id: c.id,
      provider: c.provider,
      budgetKey: c.budgetKey,
      callsPerHour: c.callsPerHour,
      maxInFlight: c.maxInFlight,
      callsLastHour: budget?.callsLastHour ?? 0,
      tokens: budget?.tokens ?? c.burst,
      inFlight: budget?.inFlight ?? 0,
      pausedUntil: budget?.pausedUntil ?? null,
      lastError: newestError(
        failedRuns.find((r) => r.connectionId === c.id),
        discoveries.find((d) => d.connectionId === c.id),
      ),
      lastDiscovery: discoveries.find((d) => d.connectionId === c.id) ?? null,
      forbiddenRaces: forbiddenRaces(c.id, events),
      clockSkewMs: clocks?.providerSkewMs(c.id) ?? null,
    };
  });
  return {
    owner: options.owner,
    running,
    now,
    events,
    summary,
    connections,
    budgets,
    databaseClockSkewMs: clocks?.databaseSkewMs ?? null,
    problemRuns: problemRuns.filter((r) => r.problems > 0 && providers.has(r.provider)).map(problemRun),
  };
}

function problemRun(r: SyncRun): ProblemRunStatus {
  return {
    runId: r.id,
    connectionId: r.connectionId,
    provider: r.provider,
    raceId: r.raceId,
    eventIds: r.eventIds,
    kind: r.kind,
    startedAt: r.startedAt,
    problems: r.problems,
    sample: r.problemSample,
  };
}

/** The races refused to one connection, one entry per race, from the events' forbidden links. */
function forbiddenRaces(connectionId: string, events: readonly EventStatus[]): ForbiddenRace[] {
  const races = new Map<string, { race: ForbiddenRace; events: EventStatus[] }>();
  for (const e of events) {
    const link = e.forbidden.find((f) => f.connectionId === connectionId);
    if (link === undefined) continue;
    const key = `${e.provider}\u0000${e.raceId}`;
    const entry = races.get(key);
    if (entry === undefined) {
      races.set(key, {
        race: {
          provider: e.provider,
          raceId: e.raceId,
          raceName: e.raceName,
          eventIds: [e.eventId],
          since: link.since,
          error: link.error,
          rerouted: false,
        },
        events: [e],
      });
    } else {
      entry.events.push(e);
      const since = link.since.getTime() < entry.race.since.getTime() ? link.since : entry.race.since;
      entry.race = { ...entry.race, eventIds: [...entry.race.eventIds, e.eventId], since };
    }
  }
  return [...races.values()].map(({ race, events: list }) => ({ ...race, rerouted: usableConnectionIds(list).length > 0 }));
}

/**
 * A connection's newest error: its latest failed pass's, or its latest discovery's when that
 * failed. A revoked key often fails in discovery first, before any pass runs.
 */
function newestError(
  run: { readonly startedAt: Date; readonly finishedAt: Date | null; readonly error: SerializedError | null } | undefined,
  discovery: DiscoveryRecord | undefined,
): SerializedError | null {
  const failedDiscovery = discovery !== undefined && discovery.status === "failed" && discovery.error !== null ? discovery : undefined;
  const at = (r: { readonly startedAt: Date; readonly finishedAt: Date | null }) => (r.finishedAt ?? r.startedAt).getTime();
  if (run?.error == null) return failedDiscovery?.error ?? null;
  if (failedDiscovery === undefined) return run.error;
  return at(failedDiscovery) > at(run) ? failedDiscovery.error : run.error;
}
