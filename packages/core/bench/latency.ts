import { resolveSchedule, tierAt, type Clock, type SyncStore } from "@project88/core";
import { quantileMs, type SyncRecord } from "./metrics.js";
import type { Change, Workload } from "./workload.js";

const schedule = resolveSchedule({});
const MIN = 60_000;

/** One registration row a committed page carried, and when the commit happened (clock time). */
interface Delivery {
  readonly at: number;
  readonly kind: "upsert" | "remove";
  readonly modifiedAt: number;
}

/**
 * Wraps a store so every committed page is recorded per registration: a change is visible from
 * the commit of the first page carrying it (or a later version of its row).
 */
export function recordDeliveries(
  store: SyncStore,
  clock: Clock,
): { readonly store: SyncStore; readonly deliveries: ReadonlyMap<string, readonly Delivery[]> } {
  const deliveries = new Map<string, Delivery[]>();
  const add = (id: string, d: Delivery) => {
    const list = deliveries.get(id);
    if (list === undefined) deliveries.set(id, [d]);
    else list.push(d);
  };
  const wrapped: SyncStore = {
    ...store,
    async commitPage(args) {
      // A whole pull's registrations that the commit marks vanished: removals it delivers.
      const seen = args.finish?.vanish === undefined ? null : new Set(args.finish.vanish.seenRegistrationIds);
      const before =
        seen === null
          ? []
          : (await store.listRegistrations({ provider: args.provider, eventIds: args.eventIds })).filter(
              (r) => r.status === "active" && !seen.has(r.registrationId),
            );
      const result = await store.commitPage(args);
      const at = clock.now().getTime();
      if (result.vanish !== undefined && !result.vanish.refused)
        for (const r of before) add(r.registrationId, { at, kind: "remove", modifiedAt: at });
      for (const r of args.registrations ?? []) add(r.registrationId, { at, kind: "upsert", modifiedAt: r.modifiedAt?.getTime() ?? 0 });
      for (const r of args.removals ?? []) add(r.registrationId, { at, kind: "remove", modifiedAt: r.modifiedAt?.getTime() ?? 0 });
      return result;
    },
  };
  return { store: wrapped, deliveries };
}

/** Change-to-visible delay of one change (Infinity when it never became visible). */
export interface ChangeLatency {
  readonly connectionId: string;
  readonly tier: string;
  readonly ms: number;
}

function context(workload: Workload) {
  const eventInfo = new Map<string, { start: Date; connectionId: string }>();
  for (const race of workload.races)
    for (const e of race.events) eventInfo.set(e.eventId, { start: e.startsAt, connectionId: race.connectionId });
  return (c: Change) => {
    const info = eventInfo.get(c.row.eventId);
    if (info === undefined) return null;
    return { connectionId: info.connectionId, tier: tierAt(info.start, new Date(c.at), schedule).name };
  };
}

/** The engine's delays: from each change in [from, to) to the commit of the first page carrying it. */
export function engineLatencies(
  workload: Workload,
  deliveries: ReadonlyMap<string, readonly Delivery[]>,
  from: number,
  to: number,
): ChangeLatency[] {
  const about = context(workload);
  const out: ChangeLatency[] = [];
  for (const c of workload.changes) {
    if (c.at < from || c.at >= to) continue;
    const info = about(c);
    if (info === null) continue;
    const modified = c.row.modifiedAt?.getTime() ?? c.at;
    const seen = (deliveries.get(c.row.registrationId) ?? []).find((d) => d.at >= c.at && d.kind === c.kind && d.modifiedAt >= modified);
    out.push({ ...info, ms: seen === undefined ? Infinity : seen.at - c.at });
  }
  return out;
}

/** The origin model's delays: each of its syncs is a full pull, carrying every change made before it. */
export function syncLatencies(workload: Workload, syncs: readonly SyncRecord[], from: number, to: number): ChangeLatency[] {
  const about = context(workload);
  const byEvent = new Map<string, number[]>();
  for (const s of syncs) {
    const list = byEvent.get(s.eventId);
    if (list === undefined) byEvent.set(s.eventId, [s.at]);
    else list.push(s.at);
  }
  for (const list of byEvent.values()) list.sort((a, b) => a - b);
  const out: ChangeLatency[] = [];
  for (const c of workload.changes) {
    if (c.at < from || c.at >= to) continue;
    const info = about(c);
    if (info === null) continue;
    const list = byEvent.get(c.row.eventId) ?? [];
    // Binary search for the first sync at or after the change.
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((list[mid] as number) < c.at) lo = mid + 1;
      else hi = mid;
    }
    const next = list[lo];
    out.push({ ...info, ms: next === undefined ? Infinity : next - c.at });
  }
  return out;
}

/** p50/p95/p99 in seconds ("∞" when that share never became visible), and the count. */
export function quantiles(latencies: readonly ChangeLatency[]): { n: number; p50: string; p95: string; p99: string; within60: number } {
  const ms = latencies.map((l) => l.ms).sort((a, b) => a - b);
  const q = (p: number) => {
    const v = quantileMs(ms, p);
    if (v === undefined) return "-";
    return Number.isFinite(v) ? `${Math.round(v / 1000)} s` : "∞";
  };
  const within = ms.filter((v) => v <= MIN).length;
  return { n: ms.length, p50: q(0.5), p95: q(0.95), p99: q(0.99), within60: ms.length === 0 ? NaN : within / ms.length };
}

/** One policy's delays as Markdown: a summary row (per tier, busiest and the others) and a per-connection table. */
export function latencyTables(
  policy: string,
  latencies: readonly ChangeLatency[],
  calls: readonly { at: number; connectionId: string }[],
  connections: readonly string[],
  busiest: string,
  from: number,
  to: number,
): { readonly summary: string; readonly perConnection: readonly string[] } {
  const callsIn = (conn?: string) =>
    calls.filter((c) => c.at >= from && c.at < to && (conn === undefined || c.connectionId === conn)).length;
  const delivered = (list: readonly ChangeLatency[]) => list.filter((l) => Number.isFinite(l.ms)).length;
  const cell = (list: readonly ChangeLatency[]) => {
    const q = quantiles(list);
    return `${q.p50} / ${q.p95} / ${q.p99}`;
  };
  const tiers = ["high", "medium", "low"];
  const high = latencies.filter((l) => l.tier === "high");
  const mine = latencies.filter((l) => l.connectionId === busiest);
  const others = latencies.filter((l) => l.connectionId !== busiest);
  const summary = `| ${policy} | ${tiers.map((t) => cell(mine.filter((l) => l.tier === t))).join(" | ")} | ${tiers.map((t) => cell(others.filter((l) => l.tier === t))).join(" | ")} | ${(100 * quantiles(high).within60).toFixed(1)}% | ${(callsIn() / Math.max(1, delivered(latencies))).toFixed(3)} | ${latencies.length - delivered(latencies)} |`;
  const perConnection = [
    `| ${policy}: connection | changes | calls per change delivered | high p50 / p95 / p99 | medium p50 / p95 / p99 | low p50 / p95 / p99 | high within 60 s |`,
    "|---|---:|---:|---|---|---|---:|",
  ];
  for (const conn of connections) {
    const list = latencies.filter((l) => l.connectionId === conn);
    const h = list.filter((l) => l.tier === "high");
    perConnection.push(
      `| ${conn}${conn === busiest ? " (busiest)" : ""} | ${list.length} | ${(callsIn(conn) / Math.max(1, delivered(list))).toFixed(3)} | ${tiers.map((t) => cell(list.filter((l) => l.tier === t))).join(" | ")} | ${h.length === 0 ? "-" : `${(100 * quantiles(h).within60).toFixed(1)}%`} |`,
    );
  }
  return { summary, perConnection };
}

/** Header of the summary table `latencyTables` rows belong to. */
export const LATENCY_HEADER = [
  "| policy | busiest: high p50 / p95 / p99 | busiest: medium | busiest: low | other 12: high p50 / p95 / p99 | other 12: medium | other 12: low | high-tier changes visible within 60 s | calls per change delivered | never visible |",
  "|---|---|---|---|---|---|---|---:|---:|---:|",
];
