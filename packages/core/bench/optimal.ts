/**
 * `pnpm bench:optimal`: the best change-to-visible a periodic schedule could give the busiest
 * connection's high tier of `bench:schedule`'s workload, for a given number of calls an hour.
 * Changes are Poisson (12/h per event inside 4 h of its start, as the workload makes them); a
 * race synced every T seconds shows each change after a delay uniform on [0, T]; no race is
 * synced more often than its tier's minute. Two allocations of the calls among the races in the
 * tier at each minute: equal intervals (round robin) and intervals that minimise the mean delay
 * (frequency proportional to the square root of the change rate, the refresh-policy result of
 * Cho and Garcia-Molina, 2003, for the age of Poisson-changing elements). One call a pass: the
 * races of this workload fit one page and are read whole.
 */
import { buildWorkload } from "./workload.js";

const HOUR = 3_600_000;
const MINUTE = 60_000;
const from = new Date("2026-10-31T12:00:00Z").getTime();
const hours = Number(process.env.BENCH_HOURS ?? 24);
const workload = buildWorkload({ t0: new Date(from), windowMs: hours * HOUR });
const races = workload.races.filter((r) => r.connectionId === "c00");

/** Change rates (per hour) of the busiest connection's races in the high tier at `t`. */
function highRates(t: number): number[] {
  const rates: number[] = [];
  for (const race of races) {
    let rate = 0;
    for (const e of race.events) {
      const start = e.startsAt.getTime();
      if (start - t <= 4 * HOUR && t < start + HOUR) rate += 12;
    }
    if (rate > 0) rates.push(rate);
  }
  return rates;
}

function delays(callsPerHour: number, allocation: "round robin" | "square root"): string {
  const density = new Float64Array(3_600); // changes per second of delay
  let changes = 0;
  for (let t = from; t < from + hours * HOUR; t += MINUTE) {
    const rates = highRates(t);
    const roots = rates.reduce((sum, rate) => sum + Math.sqrt(rate), 0);
    for (const rate of rates) {
      const perHour = allocation === "round robin" ? callsPerHour / rates.length : (callsPerHour * Math.sqrt(rate)) / roots;
      const interval = Math.max(60, 3_600 / perHour);
      const weight = rate / 60; // this minute's changes of the race
      changes += weight;
      for (let s = 0; s < Math.min(3_600, Math.ceil(interval)); s++)
        density[s] = (density[s] ?? 0) + (weight * Math.min(1, interval - s)) / interval;
    }
  }
  const quantile = (p: number) => {
    let seen = 0;
    for (let s = 0; s < density.length; s++) {
      seen += density[s] ?? 0;
      if (seen >= p * changes) return `${s + 1} s`;
    }
    return "∞";
  };
  let within60 = 0;
  for (let s = 0; s < 60; s++) within60 += density[s] ?? 0;
  return `| ${callsPerHour} | ${allocation} | ${quantile(0.5)} / ${quantile(0.95)} / ${quantile(0.99)} | ${((100 * within60) / changes).toFixed(1)}% |`;
}

console.log("| calls/h to the high tier | allocation | high p50 / p95 / p99 | within 60 s |");
console.log("|---:|---|---|---:|");
for (const calls of (process.env.BENCH_CALLS ?? "1000,980,935").split(",").map(Number))
  for (const allocation of ["round robin", "square root"] as const) console.log(delays(calls, allocation));
