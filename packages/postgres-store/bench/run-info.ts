import { loadavg } from "node:os";

/** The load averages (1, 5, 15 minutes), as `uptime` prints them. */
const loadAverage = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

/** A bench run started now; `footer()` states the load at its start and end and its wall time. */
export function startRun(): { footer(): string } {
  const started = performance.now();
  const before = loadAverage();
  return {
    footer: () =>
      `Load average ${before} at the start, ${loadAverage()} at the end; ${((performance.now() - started) / 1000).toFixed(0)} s in all.`,
  };
}
