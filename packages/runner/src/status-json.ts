import type { EngineStatus, SerializedError } from "@project88/core";

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
  /** This host's clock minus the provider's (ms) from the latest response; positive: ahead. Null before any. */
  readonly clockSkewMs: number | null;
}

/** The document `status --json` prints and `/status` serves. */
export interface StatusJson {
  readonly now: string;
  readonly owner: string;
  readonly running: boolean;
  /** This host's clock minus the database's at the engine's latest check (ms); null when not checked. */
  readonly databaseClockSkewMs: number | null;
  readonly events: readonly EventStatusJson[];
  readonly connections: readonly ConnectionStatusJson[];
}

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

/** Converts the engine's status into the stable JSON shape, events ordered by start. */
export function toStatusJson(status: EngineStatus): StatusJson {
  const events = [...status.events].sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
  return {
    now: status.now.toISOString(),
    owner: status.owner,
    running: status.running,
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
      lastError: e.lastError,
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
      lastError: c.lastError,
      lastDiscoveryAt: iso(c.lastDiscovery?.finishedAt),
      clockSkewMs: c.clockSkewMs ?? null,
    })),
  };
}
