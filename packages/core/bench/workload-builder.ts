import type { Race, Registration } from "@project88/core";

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

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
 * What both workloads build the same way: races of events 15 minutes apart with 30 registrations
 * each a month before `t0`, and the changes. Ids count up from the given first numbers, and every
 * draw comes from `random` in a fixed order, so a seed gives the same workload every time.
 */
export function createWorkloadBuilder(options: {
  readonly random: () => number;
  readonly t0: number;
  readonly firstRaceNo: number;
  readonly firstEventNo: number;
  readonly firstRegNo: number;
}) {
  const { random, t0 } = options;
  const races: BenchRace[] = [];
  const initial: Registration[] = [];
  let raceNo = options.firstRaceNo;
  let eventNo = options.firstEventNo;
  let regNo = options.firstRegNo;
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

  /** Adds a race of `events` events seen by `connectionId`, the first starting at `firstStart`. */
  const addRace = (connectionId: string, firstStart: number, events: number): void => {
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

  /**
   * The workload of the races added so far: registrations change as a Poisson process per event
   * whose rate grows towards its start (1/h far out, 4/h inside 24 h, 12/h inside 4 h), from 2 h
   * before `t0` until an hour after the start or the end of the window.
   */
  const build = (args: { readonly t0: Date; readonly connections: readonly string[]; readonly windowMs: number }): Workload => {
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
          if (t >= t0 + args.windowMs || t > start + HOUR) break;
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
    return { t0: args.t0, connections: args.connections, races, initial, changes };
  };

  return { addRace, build };
}
