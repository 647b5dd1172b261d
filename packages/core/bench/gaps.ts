/**
 * `pnpm bench:gaps`: how regularly the engine serves the busiest connection's high tier in
 * `bench:schedule`'s workload. For each race in that tier, the gaps between the commits of its
 * passes, per hour and overall, against round robin: the race count in the tier at that moment
 * times the seconds one call costs at the refill (3.67 s at 980/h), at least the tier's minute.
 * Also the busiest connection's calls by pass kind and tier. Virtual time; `BENCH_HOURS` (4) and
 * `BENCH_SKIP_HOURS` (0) choose the window after the workload's start.
 */
import { createSyncEngine, resolveSchedule, secret, tierAt } from "@project88/core";
import { createMemoryStore, ManualClock } from "@project88/core/testing";
import { BenchProvider } from "./bench-provider.js";
import { buildWorkload } from "./workload.js";

const HOUR = 3_600_000;
const hours = Number(process.env.BENCH_HOURS ?? 4);
const t0 = new Date("2026-10-31T12:00:00Z");
const from = t0.getTime() + Number(process.env.BENCH_SKIP_HOURS ?? 0) * HOUR;
const to = from + hours * HOUR;
const workload = buildWorkload({ t0, windowMs: 24 * HOUR });
const schedule = resolveSchedule({});
const starts = new Map(workload.races.flatMap((r) => r.events.map((e) => [e.eventId, e.startsAt] as const)));
const busiest = workload.races.filter((r) => r.connectionId === "c00");
const secondsPerCall = HOUR / 1000 / (1000 - 20);

const clock = new ManualClock(t0.getTime() - 2 * HOUR);
const engine = createSyncEngine({
  adapters: [new BenchProvider(clock, workload)],
  store: createMemoryStore(),
  clock,
  owner: "bench",
  pollMs: 30_000,
  random: () => 0.5,
  connections: workload.connections.map((id) => ({ id, provider: "bench", credentials: { key: secret(`k-${id}`) } })),
});

interface Pass {
  readonly at: number;
  readonly raceId: string;
  readonly calls: number;
  readonly label: string;
  readonly high: boolean;
}
const passes: Pass[] = [];
engine.on("sync:finish", (p) => {
  const at = clock.now().getTime();
  if (p.connectionId !== "c00" || at < from || at >= to) return;
  const tiers = p.eventIds.map((id) => tierAt(starts.get(id) as Date, new Date(at), schedule).name);
  const high = tiers.includes("high");
  passes.push({ at, raceId: p.raceId, calls: p.apiCalls, label: `${p.kind}/${high ? "high" : [...new Set(tiers)].join("+")}`, high });
});
await engine.start();
for (let t = t0.getTime() - 2 * HOUR; t < to; t += HOUR) await clock.advanceTo(t + HOUR);
const stopping = engine.stop({ timeoutMs: 60_000 });
for (let i = 0; i < 200; i++) await clock.advance(1_000);
await stopping;

/** Races of the busiest connection with an event in the high tier (4 h before to 1 h after its start) at `t`. */
const highRaces = (t: number) =>
  busiest.filter((r) => r.events.some((e) => e.startsAt.getTime() - t <= 4 * HOUR && t < e.startsAt.getTime() + HOUR)).length;

const gaps: { at: number; gap: number; roundRobin: number }[] = [];
// Between two passes of a race that both covered a high-tier event (a race's first high-tier
// pass follows a medium-tier one, up to 15 min before).
const last = new Map<string, number>();
for (const p of passes) {
  if (!p.high) {
    last.delete(p.raceId);
    continue;
  }
  const previous = last.get(p.raceId);
  if (previous !== undefined)
    gaps.push({ at: p.at, gap: (p.at - previous) / 1000, roundRobin: Math.max(60, highRaces(p.at) * secondsPerCall) });
  last.set(p.raceId, p.at);
}
const q = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return `${Math.round(sorted[Math.floor(p * (sorted.length - 1))] ?? Number.NaN)} s`;
};
const row = (label: string, list: typeof gaps, calls: number) => {
  const gap = list.map((g) => g.gap);
  const rr = list.map((g) => g.roundRobin);
  const spread = [0.5, 0.9, 0.99, 1].map((p) => q(gap, p)).join(" / ");
  return `| ${label} | ${list.length} | ${calls} | ${spread} | ${q(rr, 0.5)} / ${q(rr, 1)} |`;
};

const byLabel = new Map<string, number>();
for (const p of passes) byLabel.set(p.label, (byLabel.get(p.label) ?? 0) + p.calls);
console.log(
  `busiest connection, ${new Date(from).toISOString()} + ${hours} h: calls by pass kind and tier: ${[...byLabel]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(", ")}`,
);
console.log("| hour (UTC) | high-tier gaps | calls | gap p50 / p90 / p99 / max | round robin p50 / max |");
console.log("|---|---:|---:|---|---|");
for (let h = from; h < to; h += HOUR) {
  const list = gaps.filter((g) => g.at >= h && g.at < h + HOUR);
  const calls = passes.filter((p) => p.at >= h && p.at < h + HOUR).reduce((n, p) => n + p.calls, 0);
  if (list.length > 0) console.log(row(new Date(h).toISOString().slice(11, 16), list, calls));
}
console.log(
  row(
    "all",
    gaps,
    passes.reduce((n, p) => n + p.calls, 0),
  ),
);
const outliers = gaps.filter((g) => g.gap > 2 * g.roundRobin);
if (outliers.length > 0)
  console.log(
    `gaps over twice round robin: ${outliers
      .slice(0, 10)
      .map((g) => `${new Date(g.at).toISOString().slice(11, 19)} ${Math.round(g.gap)} s`)
      .join(", ")}`,
  );
