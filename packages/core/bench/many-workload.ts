import type { Registration } from "@project88/core";
import { seededRandom } from "@project88/core/testing";
import type { BenchRace, Change, Workload } from "./workload.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

const ZONES = ["America/Denver", "America/New_York", "Pacific/Honolulu", "Europe/London", "America/Los_Angeles"];

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
  const races: BenchRace[] = [];
  const initial: Registration[] = [];
  let raceNo = 20_000;
  let eventNo = 700_000;
  let regNo = 30_000_000;
  const row = (raceId: string, eventId: string, at: number, id = regNo++): Registration => ({
    provider: "bench",
    registrationId: String(id),
    raceId,
    eventId,
    userId: null,
    firstName: "Runner",
    lastName: String(id),
    gender: random() < 0.5 ? "F" : "M",
    dob: null,
    age: 18 + Math.floor(random() * 50),
    bib: null,
    chip: null,
    email: null,
    phone: null,
    city: null,
    state: null,
    country: "US",
    teamName: null,
    registeredAt: new Date(at),
    modifiedAt: new Date(at),
    raw: { registration_id: id },
  });
  const addRace = (connectionId: string, firstStart: number) => {
    const raceId = String(raceNo++);
    const events = Array.from({ length: 4 }, (_, i) => ({
      provider: "bench",
      eventId: String(eventNo++),
      raceId,
      name: `Event ${i + 1}`,
      startsAt: new Date(firstStart + i * 15 * MIN),
      endsAt: null,
      raw: {},
    }));
    races.push({
      provider: "bench",
      raceId,
      name: `Race ${raceId}`,
      timezone: ZONES[races.length % ZONES.length] as string,
      nextDate: null,
      raw: {},
      events,
      connectionId,
    });
    for (const e of events) for (let i = 0; i < 30; i++) initial.push(row(raceId, e.eventId, t0 - 30 * DAY));
  };
  for (const c of connections) {
    addRace(c, t0 + Math.floor(random() * 3 * HOUR));
    addRace(c, t0 + 4 * HOUR + Math.floor(random() * 16 * HOUR));
    for (let i = 0; i < 3; i++) addRace(c, t0 + 2 * DAY + Math.floor(random() * 90 * DAY));
  }
  const changes: Change[] = [];
  const live = new Map<string, Registration[]>();
  for (const r of initial) {
    const list = live.get(r.eventId);
    if (list === undefined) live.set(r.eventId, [r]);
    else list.push(r);
  }
  for (const race of races) {
    for (const e of race.events) {
      const start = e.startsAt.getTime();
      const rows = live.get(e.eventId) ?? [];
      // Thinning of a Poisson process with the maximum rate, 12/h.
      for (let t = t0 - 2 * HOUR; ; ) {
        t += (-Math.log(1 - random()) / 12) * HOUR;
        if (t >= t0 + options.windowMs || t > start + HOUR) break;
        const rate = start - t <= 4 * HOUR ? 12 : start - t <= DAY ? 4 : 1;
        if (random() > rate / 12) continue;
        const p = random();
        if (p < 0.7 || rows.length === 0) {
          const r = row(race.raceId, e.eventId, t);
          rows.push(r);
          changes.push({ at: t, kind: "upsert", row: r });
        } else if (p < 0.95) {
          const pick = rows[Math.floor(random() * rows.length)] as Registration;
          changes.push({ at: t, kind: "upsert", row: { ...pick, bib: String(Math.floor(random() * 9999)), modifiedAt: new Date(t) } });
        } else {
          const [gone] = rows.splice(Math.floor(random() * rows.length), 1);
          if (gone !== undefined) changes.push({ at: t, kind: "remove", row: { ...gone, modifiedAt: new Date(t) } });
        }
      }
    }
  }
  changes.sort((a, b) => a.at - b.at);
  return { t0: options.t0, connections, races, initial, changes };
}
