import { createSyncEngine, secret, tierAt, resolveSchedule } from "@project88/core";
import { createMemoryStore, ManualClock } from "@project88/core/testing";
import { BenchProvider } from "./bench-provider.js";
import { buildWorkload } from "./workload.js";
const HOUR = 3_600_000;
const W = Number(process.env.BENCH_HOURS ?? 4);
const t0 = new Date("2026-10-31T12:00:00Z");
const from = t0.getTime();
const to = from + W * HOUR;
const workload = buildWorkload({ t0, windowMs: W * HOUR });
const schedule = resolveSchedule({});
const starts = new Map(workload.races.flatMap((r) => r.events.map((e) => [e.eventId, e.startsAt] as const)));
const clock = new ManualClock(from - 2 * HOUR);
const provider = new BenchProvider(clock, workload);
const engine = createSyncEngine({
  adapters: [provider],
  store: createMemoryStore(),
  clock,
  owner: "bench",
  pollMs: 30_000,
  random: () => 0.5,
  connections: workload.connections.map((id) => ({ id, provider: "bench", credentials: { key: secret(`k-${id}`) } })),
});
const tally = new Map<string, number>();
const gaps: number[] = [];
const lastByRace = new Map<string, number>();
engine.on("sync:finish", (p) => {
  const at = clock.now().getTime();
  if (p.connectionId !== "c00" || at < from || at >= to) return;
  const tier = tierAt(starts.get(p.eventIds[0]!)!, new Date(at), schedule).name;
  const k = `${p.kind}/${tier}`;
  tally.set(k, (tally.get(k) ?? 0) + p.apiCalls);
  if (tier === "high") {
    const l = lastByRace.get(p.raceId);
    if (l !== undefined) gaps.push((at - l) / 1000);
    lastByRace.set(p.raceId, at);
  }
});
let errs = 0;
engine.on("sync:error", () => errs++);
await engine.start();
for (let t = from - 2 * HOUR; t < to; t += HOUR) await clock.advanceTo(t + HOUR);
const stopping = engine.stop({ timeoutMs: 60_000 });
for (let i = 0; i < 200; i++) await clock.advance(1000);
await stopping;
console.log([...tally].sort((a, b) => b[1] - a[1]));
gaps.sort((a, b) => a - b);
const q = (p: number) => gaps[Math.floor(p * (gaps.length - 1))];
console.log("high gaps n", gaps.length, "p50", q(0.5), "p90", q(0.9), "p99", q(0.99), "max", q(1), "errors", errs);
