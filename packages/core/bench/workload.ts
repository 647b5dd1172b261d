import { seededRandom } from "@project88/core/testing";
import { createWorkloadBuilder, DAY, HOUR, MIN, type Workload } from "./workload-builder.js";

export type { BenchRace, Change, Workload } from "./workload-builder.js";

/**
 * 13 connections. The busiest (`c00`) sees about 400 events: 40 starting within 4 h of `t0`
 * (13 races), about 300 within 24 h, the rest over the next months; every other connection sees
 * about 90, a few of them within 24 h. Registrations change as a Poisson process whose rate
 * grows towards the start (1/h per event far out, 4/h inside 24 h, 12/h inside 4 h).
 */
export function buildWorkload(options: { readonly t0: Date; readonly windowMs: number; readonly seed?: number }): Workload {
  const random = seededRandom(options.seed ?? 7);
  const t0 = options.t0.getTime();
  const connections = Array.from({ length: 13 }, (_, i) => `c${String(i).padStart(2, "0")}`);
  const { addRace, build } = createWorkloadBuilder({ random, t0, firstRaceNo: 10_000, firstEventNo: 500_000, firstRegNo: 10_000_000 });
  // The busiest connection: race morning plus a busy day.
  for (let i = 0; i < 13; i++) addRace("c00", t0 + 30 * MIN + Math.floor(random() * 3 * HOUR), i < 1 ? 4 : 3);
  for (let i = 0; i < 75; i++) addRace("c00", t0 + 4 * HOUR + Math.floor(random() * 20 * HOUR), i % 2 === 0 ? 3 : 4);
  for (let i = 0; i < 30; i++) addRace("c00", t0 + 2 * DAY + Math.floor(random() * 200 * DAY), 3);
  for (const c of connections.slice(1)) {
    for (let i = 0; i < 3; i++) addRace(c, t0 + Math.floor(random() * 24 * HOUR), 3);
    for (let i = 0; i < 30; i++) addRace(c, t0 + 2 * DAY + Math.floor(random() * 200 * DAY), 3);
  }
  return build({ t0: options.t0, connections, windowMs: options.windowMs });
}
