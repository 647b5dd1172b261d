import { Writable } from "node:stream";
import type { EngineStatus, EventStatus } from "@project88/core";
import type { CliIo } from "../src/index.js";

/** A writable that keeps everything written to it. */
export class Capture extends Writable {
  chunks: string[] = [];
  isTTY = false;
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.chunks.push(chunk.toString());
    done();
  }
  get text(): string {
    return this.chunks.join("");
  }
}

/** In-process CLI I/O with captured streams. */
export function captureIo(
  env: Record<string, string | undefined> = {},
  cwd = process.cwd(),
  signal?: AbortSignal,
): CliIo & { stdout: Capture; stderr: Capture } {
  return { env, cwd, stdout: new Capture(), stderr: new Capture(), signal };
}

const NOW = new Date("2026-06-13T12:00:00Z");

/** One event status with overrides. */
export function eventStatus(overrides: Partial<EventStatus> = {}): EventStatus {
  return {
    provider: "runsignup",
    eventId: "1001",
    raceId: "500",
    raceName: "Boulder Summer 10K",
    name: "10K",
    timezone: "America/Denver",
    startsAt: new Date("2026-06-13T14:30:00Z"),
    tier: "high",
    nextSyncAt: new Date(NOW.getTime() + 30_000),
    lastSuccessAt: new Date(NOW.getTime() - 30_000),
    backfilled: true,
    registrations: 1234,
    failures: 0,
    lastError: null,
    late: false,
    connectionIds: ["acme"],
    forbidden: [],
    ...overrides,
  };
}

/** An engine status with two connections and the given events. */
export function engineStatus(events: readonly EventStatus[] = [eventStatus()]): EngineStatus {
  return {
    owner: "host:1:abc",
    running: true,
    now: NOW,
    events,
    summary: {
      events: events.length,
      done: events.filter((e) => e.nextSyncAt === null).length,
      activeRegistrations: events.reduce((n, e) => n + e.registrations, 0),
    },
    connections: [
      {
        id: "acme",
        provider: "runsignup",
        budgetKey: "runsignup:acme",
        callsPerHour: 1000,
        maxInFlight: 2,
        callsLastHour: 420,
        tokens: 17.5,
        inFlight: 1,
        pausedUntil: null,
        lastError: null,
        forbiddenRaces: [],
        lastDiscovery: {
          id: "d1",
          connectionId: "acme",
          slot: new Date("2026-06-13T06:00:00Z"),
          startedAt: new Date("2026-06-13T06:00:01Z"),
          finishedAt: new Date("2026-06-13T06:00:05Z"),
          status: "succeeded",
          races: 3,
          newEvents: 2,
          apiCalls: 4,
          error: null,
        },
        clockSkewMs: 800,
      },
      {
        id: "zenith",
        provider: "runsignup",
        budgetKey: "runsignup:zenith",
        callsPerHour: 1000,
        maxInFlight: 2,
        callsLastHour: 990,
        tokens: 0,
        inFlight: 2,
        pausedUntil: new Date(NOW.getTime() + 60_000),
        lastError: { name: "RateLimitedError", code: "RATE_LIMITED", message: "[runsignup] error 14 <throttled>", retryable: true },
        lastDiscovery: null,
        forbiddenRaces: [],
        clockSkewMs: null,
      },
    ],
    budgets: [],
    databaseClockSkewMs: 150,
    problemRuns: [],
  };
}
