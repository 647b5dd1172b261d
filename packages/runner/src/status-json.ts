import type { EngineStatus, RowProblem, SerializedError } from "@project88/core";
import { scrubError, scrubPersonal, scrubProblem } from "./personal.js";

/** One event in `status --json` and `/status`. Instants are ISO strings. */
export interface EventStatusJson {
  readonly provider: string;
  readonly eventId: string;
  readonly raceId: string;
  readonly raceName: string;
  readonly name: string;
  readonly timezone: string;
  readonly startsAt: string;
  readonly tier: string;
  readonly nextSyncAt: string | null;
  readonly lastSuccessAt: string | null;
  readonly backfilled: boolean;
  readonly registrations: number;
  readonly failures: number;
  readonly late: boolean;
  readonly lastError: SerializedError | null;
  /** Connections the provider refuses this event's race to (error 7), until discovery sees it again. */
  readonly forbiddenConnectionIds: readonly string[];
}

/** A race refused to a connection's credentials. */
export interface ForbiddenRaceJson {
  readonly provider: string;
  readonly raceId: string;
  readonly raceName: string;
  readonly eventIds: readonly string[];
  readonly since: string;
  readonly error: SerializedError;
  /** Whether another connection still syncs the race. */
  readonly rerouted: boolean;
}

/** One connection in `status --json` and `/status`. */
export interface ConnectionStatusJson {
  readonly id: string;
  readonly provider: string;
  readonly callsLastHour: number;
  readonly callsPerHour: number;
  readonly tokens: number;
  readonly inFlight: number;
  readonly maxInFlight: number;
  readonly pausedUntil: string | null;
  readonly lastError: SerializedError | null;
  readonly lastDiscoveryAt: string | null;
  readonly forbiddenRaces: readonly ForbiddenRaceJson[];
  /** This host's clock minus the provider's (ms) from the latest response; positive: ahead. Null before any. */
  readonly clockSkewMs: number | null;
}

/** A recent pass that met bad provider data, in `status --json` and `/status`. */
export interface ProblemRunJson {
  readonly runId: string;
  readonly connectionId: string;
  readonly raceId: string;
  readonly eventIds: readonly string[];
  readonly kind: string;
  readonly startedAt: string;
  readonly problems: number;
  /** The run's first problems: registration, event, field, reason, and whether the row was skipped. */
  readonly sample: readonly RowProblem[];
}

/** The document `status --json` prints and `/status` serves. */
export interface StatusJson {
  readonly now: string;
  readonly owner: string;
  readonly running: boolean;
  /** Totals over every stored event; `events` lists only the working set (not done, or recently ended). */
  readonly summary: { readonly events: number; readonly done: number; readonly activeRegistrations: number };
  /** This host's clock minus the database's at the engine's latest check (ms); null when not checked. */
  readonly databaseClockSkewMs: number | null;
  readonly events: readonly EventStatusJson[];
  readonly connections: readonly ConnectionStatusJson[];
  /** Recent passes whose pages had bad provider data (rows skipped or fields stored as null), newest first. */
  readonly problemRuns: readonly ProblemRunJson[];
}

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

/** Converts the engine's status into the stable JSON shape, events ordered by start. */
export function toStatusJson(status: EngineStatus): StatusJson {
  const events = [...status.events].sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
  return {
    now: status.now.toISOString(),
    owner: status.owner,
    running: status.running,
    summary: { events: status.summary.events, done: status.summary.done, activeRegistrations: status.summary.activeRegistrations },
    databaseClockSkewMs: status.databaseClockSkewMs ?? null,
    events: events.map((e) => ({
      provider: e.provider,
      eventId: e.eventId,
      raceId: e.raceId,
      raceName: e.raceName,
      name: e.name,
      timezone: e.timezone,
      startsAt: e.startsAt.toISOString(),
      tier: e.tier,
      nextSyncAt: iso(e.nextSyncAt),
      lastSuccessAt: iso(e.lastSuccessAt),
      backfilled: e.backfilled,
      registrations: e.registrations,
      failures: e.failures,
      late: e.late,
      lastError: scrubError(e.lastError),
      forbiddenConnectionIds: e.forbidden.map((f) => f.connectionId),
    })),
    connections: status.connections.map((c) => ({
      id: c.id,
      provider: c.provider,
      callsLastHour: c.callsLastHour,
      callsPerHour: c.callsPerHour,
      tokens: Math.floor(c.tokens),
      inFlight: c.inFlight,
      maxInFlight: c.maxInFlight,
      pausedUntil: iso(c.pausedUntil),
      lastError: scrubError(c.lastError),
      lastDiscoveryAt: iso(c.lastDiscovery?.finishedAt),
      forbiddenRaces: c.forbiddenRaces.map((r) => ({
        ...r,
        since: r.since.toISOString(),
        error: { ...r.error, message: scrubPersonal(r.error.message) },
      })),
      clockSkewMs: c.clockSkewMs ?? null,
    })),
    problemRuns: (status.problemRuns ?? []).map((r) => ({
      runId: r.runId,
      connectionId: r.connectionId,
      raceId: r.raceId,
      eventIds: r.eventIds,
      kind: r.kind,
      startedAt: r.startedAt.toISOString(),
      problems: r.problems,
      sample: r.sample.map(scrubProblem),
    })),
  };
}
