import type { Race, Registration } from "@project88/core";
import { seededRandom } from "@project88/core/testing";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** A race with the connection that sees it. */
export interface BenchRace extends Race {
  readonly connectionId: string;
}

/** One change at the provider: a new or modified registration, or a removal. */
export interface Change {
  readonly at: number;
  readonly kind: "upsert" | "remove";
  readonly row: Registration;
}

/** The race weekend the benchmark replays. */
export interface Workload {
  readonly t0: Date;
  readonly connections: readonly string[];
  readonly races: readonly BenchRace[];
  readonly initial: readonly Registration[];
  /** Sorted by `at`. */
  readonly changes: readonly Change[];
}

const ZONES = ["America/Denver", "America/New_York", "Pacific/Honolulu", "Europe/London", "America/Los_Angeles"];

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
  const races: BenchRace[] = [];
  const initial: Registration[] = [];
  let raceNo = 10_000;
  let eventNo = 500_000;
  let regNo = 10_000_000;
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
  const addRace = (connectionId: string, firstStart: number, events: number) => {
    const raceId = String(raceNo++);
    const evs = Array.from({ length: events }, (_, i) => ({
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
      events: evs,
      connectionId,
    });
    for (const e of evs) for (let i = 0; i < 30; i++) initial.push(row(raceId, e.eventId, t0 - 30 * DAY));
  };
  // The busiest connection: race morning plus a busy day.
  for (let i = 0; i < 13; i++) addRace("c00", t0 + 30 * MIN + Math.floor(random() * 3 * HOUR), i < 1 ? 4 : 3);
  for (let i = 0; i < 75; i++) addRace("c00", t0 + 4 * HOUR + Math.floor(random() * 20 * HOUR), i % 2 === 0 ? 3 : 4);
  for (let i = 0; i < 30; i++) addRace("c00", t0 + 2 * DAY + Math.floor(random() * 200 * DAY), 3);
  for (const c of connections.slice(1)) {
    for (let i = 0; i < 3; i++) addRace(c, t0 + Math.floor(random() * 24 * HOUR), 3);
    for (let i = 0; i < 30; i++) addRace(c, t0 + 2 * DAY + Math.floor(random() * 200 * DAY), 3);
  }
  const changes: Change[] = [];
  const live = new Map<string, Registration[]>();
  for (const r of initial) live.set(r.eventId, [...(live.get(r.eventId) ?? []), r]);
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
          const i = Math.floor(random() * rows.length);
          const [gone] = rows.splice(i, 1);
          if (gone !== undefined) changes.push({ at: t, kind: "remove", row: { ...gone, modifiedAt: new Date(t) } });
        }
      }
    }
  }
  changes.sort((a, b) => a.at - b.at);
  return { t0: options.t0, connections, races, initial, changes };
}
