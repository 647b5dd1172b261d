import { seededRandom } from "@project88/core/testing";
import { createWorkloadBuilder, DAY, HOUR, type Workload } from "./workload-builder.js";

/**
 * Many partners of one size: `connections` connections with 20 events each (five races of four),
 * so that two sizes differ only in how many partners there are. Per connection: one race on the
 * morning of `t0` (its first start 0-3 h after `t0`), one later that day (4-20 h), three months
 * ahead (2-92 days). 30 registrations per event at the start; changes as in the schedule workload (a Poisson
 * process per event, 1/h far out, 4/h inside 24 h, 12/h inside 4 h of the start).
 */
export function buildManyWorkload(options: {
  readonly t0: Date;
  readonly windowMs: number;
  readonly connections: number;
  readonly seed?: number;
}): Workload {
  const random = seededRandom(options.seed ?? 11);
  const t0 = options.t0.getTime();
  const connections = Array.from({ length: options.connections }, (_, i) => `m${String(i).padStart(3, "0")}`);
  const { addRace, build } = createWorkloadBuilder({ random, t0, firstRaceNo: 20_000, firstEventNo: 700_000, firstRegNo: 30_000_000 });
  for (const c of connections) {
    addRace(c, t0 + Math.floor(random() * 3 * HOUR), 4);
    addRace(c, t0 + 4 * HOUR + Math.floor(random() * 16 * HOUR), 4);
    for (let i = 0; i < 3; i++) addRace(c, t0 + 2 * DAY + Math.floor(random() * 90 * DAY), 4);
  }
  return build({ t0: options.t0, connections, windowMs: options.windowMs });
}
