/**
 * `pnpm bench:schedule`: a virtual-time race weekend (13 connections, ~1,600 events) run through
 * the engine and through a model of the origin system's policy, on the same workload in the same
 * run. Prints calls per connection per hour, budget violations, on-time share per tier and the
 * staleness of high-tier events; then what a timing company feels: for every change the workload
 * makes in the window, the time until the commit that carries it (change-to-visible) per tier,
 * per connection, and the calls spent per change delivered. Each policy keeps running for
 * `DRAIN_MS` after the window so late changes can arrive; the existing columns count the window
 * only. Virtual time: a simulated day takes seconds, not a day.
 */
import { createSyncEngine, secret, type ScheduleInput } from "@project88/core";
import { createMemoryStore, ManualClock } from "@project88/core/testing";
import { BenchProvider } from "./bench-provider.js";
import { engineLatencies, LATENCY_HEADER, latencyTables, syncLatencies, recordDeliveries, type ChangeLatency } from "./latency.js";
import { figures, quantileMs, type PolicyFigures, type SyncRecord } from "./metrics.js";
import { runOriginModel } from "./origin-model.js";
import { buildWorkload } from "./workload.js";

const HOUR = 3_600_000;
const WINDOW_HOURS = Number(process.env.BENCH_HOURS ?? 24);
/** The engine's schedule options, as JSON (`BENCH_SCHEDULE='{"removalsEveryMs":1800000}'`): default none. */
const SCHEDULE: ScheduleInput | undefined = process.env.BENCH_SCHEDULE
  ? (JSON.parse(process.env.BENCH_SCHEDULE) as ScheduleInput)
  : undefined;
const WARMUP_MS = 2 * HOUR;
/** After the window: long enough for the widest tier (4 h) to carry every change of the window. */
const DRAIN_MS = 4 * HOUR + 30 * 60_000;
const t0 = new Date("2026-10-31T12:00:00Z");
const from = t0.getTime();
const to = from + WINDOW_HOURS * HOUR;

const workload = buildWorkload({ t0, windowMs: WINDOW_HOURS * HOUR });
const events = workload.races.flatMap((r) => r.events);
const starts = new Map(events.map((e) => [e.eventId, e.startsAt]));
const busiest = workload.races.filter((r) => r.connectionId === "c00").flatMap((r) => r.events);
const busiestIds = new Set(busiest.map((e) => e.eventId));
const within = (ms: number) => busiest.filter((e) => e.startsAt.getTime() - from <= ms && e.startsAt.getTime() >= from).length;
console.log(
  `workload: ${workload.connections.length} connections, ${events.length} events in ${workload.races.length} races; busiest connection: ${busiest.length} events, ${within(24 * HOUR)} within 24 h, ${within(4 * HOUR)} within 4 h; ${workload.changes.length} registration changes; window ${WINDOW_HOURS} h after a ${WARMUP_MS / HOUR} h warm-up`,
);

/** Calls and syncs before `to`: the existing columns are computed exactly as before the drain was added. */
const beforeEnd = <T extends { at: number }>(list: readonly T[]) => list.filter((x) => x.at < to);

async function runEngine(): Promise<{
  figures: PolicyFigures;
  latencies: ChangeLatency[];
  calls: { at: number; connectionId: string }[];
  wallMs: number;
  late: number;
  over: number;
  maxInFlight: number;
}> {
  const wall = performance.now();
  const clock = new ManualClock(from - WARMUP_MS);
  const provider = new BenchProvider(clock, workload);
  const recorded = recordDeliveries(createMemoryStore(), clock);
  const engine = createSyncEngine({
    adapters: [provider],
    store: recorded.store,
    clock,
    owner: "bench",
    pollMs: 30_000,
    random: () => 0.5,
    ...(SCHEDULE === undefined ? {} : { schedule: SCHEDULE }),
    connections: workload.connections.map((id) => ({ id, provider: "bench", credentials: { key: secret(`k-${id}`) } })),
  });
  const syncs: SyncRecord[] = [];
  let late = 0;
  let over = 0;
  engine.on("sync:finish", (p) => {
    for (const eventId of p.eventIds) syncs.push({ eventId, at: p.cursorAt.getTime() });
  });
  engine.on("schedule:late", () => late++);
  engine.on("budget:over", () => over++);
  await engine.start();
  for (let t = from - WARMUP_MS; t < to + DRAIN_MS; t += HOUR) {
    await clock.advanceTo(t + HOUR);
    process.stderr.write(`  engine: ${new Date(t + HOUR).toISOString()} (${Math.round((performance.now() - wall) / 1000)} s)\n`);
  }
  const stopping = engine.stop({ timeoutMs: 60_000 });
  for (let i = 0; i < 200; i++) await clock.advance(1_000);
  await stopping;
  return {
    figures: figures("engine", beforeEnd(provider.calls), beforeEnd(syncs), starts, workload.connections, from, to, busiestIds),
    latencies: engineLatencies(workload, recorded.deliveries, from, to),
    calls: provider.calls,
    wallMs: performance.now() - wall,
    late,
    over,
    maxInFlight: provider.maxInFlight,
  };
}

function row(f: PolicyFigures): string {
  const tiers = ["high", "medium", "low"].map((t) => {
    const e = f.onTime[t];
    return e === undefined || e.syncs === 0 ? "-" : `${((100 * e.onTime) / e.syncs).toFixed(1)}%`;
  });
  return `| ${f.policy} | ${f.totalCalls} | ${f.callsPerConnHourMax} | ${f.callsPerConnHourMean.toFixed(1)} | ${f.busiestConnCallsPerHour.toFixed(0)} | ${f.worstRollingHour} | ${f.budgetViolations} | ${tiers.join(" | ")} | ${f.highStalenessP50s.toFixed(0)} s | ${f.highStalenessP99s.toFixed(0)} s | ${f.othersStalenessP50s.toFixed(0)} s | ${f.othersStalenessP99s.toFixed(0)} s |`;
}

const engine = await runEngine();
const originDemand = runOriginModel(workload, from - WARMUP_MS, to + DRAIN_MS, false);
const originShared = runOriginModel(workload, from - WARMUP_MS, to + DRAIN_MS, true);
const results = [
  engine.figures,
  figures(
    "origin model (its policy, no budget)",
    beforeEnd(originDemand.calls),
    beforeEnd(originDemand.syncs),
    starts,
    workload.connections,
    from,
    to,
    busiestIds,
  ),
  figures(
    "origin model (one shared 1000/h budget)",
    beforeEnd(originShared.calls),
    beforeEnd(originShared.syncs),
    starts,
    workload.connections,
    from,
    to,
    busiestIds,
  ),
];
const latencyRuns = [
  { policy: "engine", latencies: engine.latencies, calls: engine.calls },
  {
    policy: "origin model (its policy, no budget)",
    latencies: syncLatencies(workload, originDemand.syncs, from, to),
    calls: originDemand.calls,
  },
  {
    policy: "origin model (one shared 1000/h budget)",
    latencies: syncLatencies(workload, originShared.syncs, from, to),
    calls: originShared.calls,
  },
].map((r) => latencyTables(r.policy, r.latencies, r.calls, workload.connections, "c00", from, to));
console.log("");
console.log(
  "| policy | calls | calls/conn/h max | calls/conn/h mean | busiest conn calls/h | worst rolling hour | budget violations | on time high | on time medium | on time low | high staleness p50 | high staleness p99 | high staleness p50, other 12 conns | p99, other 12 conns |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const f of results) console.log(row(f));
console.log("");
const [e, d] = results as [PolicyFigures, PolicyFigures];
console.log(`calls, origin policy / engine: ${(d.totalCalls / e.totalCalls).toFixed(2)}x`);
console.log(`engine: at most ${engine.maxInFlight} requests in flight on one connection`);
console.log("");
console.log(
  "Change-to-visible (virtual seconds from a change at the provider to the commit carrying it), by the tier the event was in at the change:",
);
console.log("");
for (const line of LATENCY_HEADER) console.log(line);
for (const t of latencyRuns) console.log(t.summary);
for (const t of latencyRuns) {
  console.log("");
  for (const line of t.perConnection) console.log(line);
}
{
  // The busiest connection's high tier unrounded: the targets sit within a second of these.
  const ms = engine.latencies
    .filter((l) => l.connectionId === "c00" && l.tier === "high")
    .map((l) => l.ms)
    .sort((a, b) => a - b);
  const q = (p: number) => ((quantileMs(ms, p) ?? Number.NaN) / 1000).toFixed(1);
  console.log("");
  console.log(`engine, busiest connection, high tier, unrounded: p50 ${q(0.5)} s / p95 ${q(0.95)} s / p99 ${q(0.99)} s`);
}
console.log("");
console.log(
  `engine: ${engine.over} budget:over and ${engine.late} schedule:late events; simulated ${WINDOW_HOURS + WARMUP_MS / HOUR} h in ${(engine.wallMs / 1000).toFixed(1)} s`,
);
