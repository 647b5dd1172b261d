import type { EngineStatus } from "@project88/core";
import { formatDuration } from "../duration.js";
import { formatInZone } from "../html.js";
import type { EngineEmitter } from "../logging.js";
import type { MutationCounts } from "./provider.js";

/** Running totals of the engine's work, from its events. */
export interface ProgressTotals {
  discoveries: number;
  discoveryErrors: number;
  racesFound: number;
  eventsFound: number;
  passes: { backfill: number; incremental: number; reconcile: number };
  failedPasses: number;
  apiCalls: number;
  inserted: number;
  updated: number;
  removed: number;
  vanished: number;
  lastError: string | null;
}

/** Counts engine events for the demo's progress view and summary. */
export function trackProgress(engine: EngineEmitter): { readonly totals: ProgressTotals; detach(): void } {
  const totals: ProgressTotals = {
    discoveries: 0,
    discoveryErrors: 0,
    racesFound: 0,
    eventsFound: 0,
    passes: { backfill: 0, incremental: 0, reconcile: 0 },
    failedPasses: 0,
    apiCalls: 0,
    inserted: 0,
    updated: 0,
    removed: 0,
    vanished: 0,
    lastError: null,
  };
  const onDiscovery = (e: { races: number; newEvents: number; apiCalls: number; error: { code: string; message: string } | null }) => {
    totals.discoveries += 1;
    totals.racesFound += e.races;
    totals.eventsFound += e.newEvents;
    totals.apiCalls += e.apiCalls;
    if (e.error) {
      totals.discoveryErrors += 1;
      totals.lastError = `${e.error.code}: ${e.error.message}`;
    }
  };
  const onFinish = (e: {
    kind: "backfill" | "incremental" | "reconcile";
    apiCalls: number;
    inserted: number;
    updated: number;
    removed: number;
    vanished: number;
  }) => {
    totals.passes[e.kind] += 1;
    totals.apiCalls += e.apiCalls;
    totals.inserted += e.inserted;
    totals.updated += e.updated;
    totals.removed += e.removed;
    totals.vanished += e.vanished;
  };
  const onError = (e: { error: { code: string; message: string } }) => {
    totals.failedPasses += 1;
    totals.lastError = `${e.error.code}: ${e.error.message}`;
  };
  engine.on("discovery:finish", onDiscovery);
  engine.on("sync:finish", onFinish);
  engine.on("sync:error", onError);
  return {
    totals,
    detach() {
      engine.off("discovery:finish", onDiscovery);
      engine.off("sync:finish", onFinish);
      engine.off("sync:error", onError);
    },
  };
}

export interface ProgressInput {
  readonly elapsedMs: number;
  readonly totals: ProgressTotals;
  readonly mutations: MutationCounts;
  readonly status: EngineStatus | null;
  /** Active registrations at the fake per event id. */
  readonly target: (eventId: string) => number;
  readonly connections: number;
}

function bar(done: number, total: number, width = 16): string {
  const share = total > 0 ? Math.min(1, done / total) : 1;
  const full = Math.round(share * width);
  return `[${"#".repeat(full)}${".".repeat(width - full)}]`;
}

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** One plain line of progress (logs, CI, a pipe). */
export function progressLine(p: ProgressInput): string {
  const t = p.totals;
  const events = p.status?.events ?? [];
  const backfilled = events.filter((e) => e.backfilled).length;
  return `demo ${clock(p.elapsedMs)}: discovery ${Math.min(t.discoveries, p.connections)}/${p.connections}, backfilled ${backfilled}/${events.length} events, passes ${t.passes.backfill} backfill ${t.passes.incremental} incremental ${t.passes.reconcile} reconcile, rows +${t.inserted} ~${t.updated} -${t.removed} (${t.vanished} vanished), ${t.apiCalls} calls, ${t.failedPasses} failed`;
}

/** The TTY view: totals, budgets per connection and the events starting soonest with their backfill bars. */
export function progressView(p: ProgressInput, rows = 12): string[] {
  const t = p.totals;
  const status = p.status;
  const lines = [progressLine(p)];
  lines.push(
    `provider changes: +${p.mutations.registered} new, ${p.mutations.modified} changed, ${p.mutations.removed} refunded, ${p.mutations.transferred} transferred`,
  );
  if (!status) return [...lines, "waiting for the first status..."];
  for (const c of status.connections) {
    const paused = c.pausedUntil && c.pausedUntil > status.now ? " PAUSED" : "";
    lines.push(
      `budget ${c.id.padEnd(16)} ${bar(c.callsLastHour, c.callsPerHour, 10)} ${c.callsLastHour}/${c.callsPerHour} calls last hour, ${Math.floor(c.tokens)} tokens, ${c.inFlight}/${c.maxInFlight} in flight${paused}`,
    );
  }
  const upcoming = status.events
    .filter((e) => e.startsAt.getTime() > status.now.getTime() - 3_600_000)
    .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime())
    .slice(0, rows);
  lines.push("events starting soonest (start in the race's zone):");
  for (const e of upcoming) {
    const target = p.target(e.eventId);
    const next = e.nextSyncAt
      ? `next ${e.nextSyncAt > status.now ? `in ${formatDuration(e.nextSyncAt.getTime() - status.now.getTime())}` : "now"}`
      : "";
    const name = `${e.raceName} / ${e.name}`.slice(0, 38).padEnd(38);
    lines.push(
      `  ${e.tier.padEnd(6)} ${formatInZone(e.startsAt, e.timezone).padEnd(24)} ${name} ${bar(e.registrations, target)} ${String(e.registrations).padStart(5)}/${String(target).padEnd(5)} ${e.backfilled ? "" : "backfilling "}${next}${e.late ? " LATE" : ""}`,
    );
  }
  if (t.lastError) lines.push(`last error: ${t.lastError}`);
  return lines;
}
