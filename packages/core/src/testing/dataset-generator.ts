import type { Registration } from "../types.js";
import type { ScriptedDatasetInput, ScriptedRace } from "./scripted-dataset.js";

/** What `generateDataset` builds. */
export interface GenerateDatasetOptions {
  /** Seed of the generator: one seed, one dataset, on every machine. Default 1. */
  readonly seed?: number;
  readonly provider?: string;
  /** How many races. */
  readonly races: number;
  /** IANA zones, assigned to races in turn. Default `["UTC"]`. */
  readonly zones?: readonly string[];
  /** The instant event offsets count from. */
  readonly base: Date;
  /** Start of each event of a race, in ms after `base`; one event per offset. Default `[0]`. */
  readonly eventOffsetsMs?: readonly number[];
  /** Extra ms added per race, so races do not all start together. Default 0. */
  readonly raceSpacingMs?: number;
  /** Registrations per event. Default 10. */
  readonly registrationsPerEvent?: number;
  /** `modifiedAt` (and `registeredAt`) of generated rows. Default `base` minus 30 days. */
  readonly modifiedAt?: Date;
}

/** A small, seeded pseudo-random generator (mulberry32): deterministic and good enough for fake people. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const FIRST = ["Ada", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jo"];
const LAST = ["Abbott", "Baker", "Chen", "Diaz", "Evans", "Ford", "Gray", "Hale", "Ito", "Jones"];

/**
 * Builds `races` races, each with one event per offset and `registrationsPerEvent` people per
 * event. Ids are numeric strings (race 1000+, event 5000+, registration 100000+) so keyset order
 * is numeric, as with RunSignUp.
 */
export function generateDataset(options: GenerateDatasetOptions): Required<Pick<ScriptedDatasetInput, "races" | "registrations">> {
  const random = seededRandom(options.seed ?? 1);
  const provider = options.provider ?? "scripted";
  const zones = options.zones ?? ["UTC"];
  const offsets = options.eventOffsetsMs ?? [0];
  const perEvent = options.registrationsPerEvent ?? 10;
  const modifiedAt = options.modifiedAt ?? new Date(options.base.getTime() - 30 * 86_400_000);
  const races: ScriptedRace[] = [];
  const registrations: Registration[] = [];
  let eventNo = 5000;
  let regNo = 100_000;
  for (let r = 0; r < options.races; r++) {
    const raceId = String(1000 + r);
    const shift = r * (options.raceSpacingMs ?? 0);
    const events = offsets.map((offset, i) => {
      const eventId = String(eventNo++);
      const startsAt = new Date(options.base.getTime() + shift + offset);
      return { provider, eventId, raceId, name: `Event ${i + 1}`, startsAt, endsAt: null, raw: { event_id: eventId } };
    });
    races.push({
      provider,
      raceId,
      name: `Race ${raceId}`,
      timezone: zones[r % zones.length] ?? "UTC",
      nextDate: events[0]?.startsAt.toISOString().slice(0, 10) ?? null,
      raw: { race_id: raceId },
      events,
    });
    for (const event of events) {
      for (let p = 0; p < perEvent; p++) {
        const registrationId = String(regNo++);
        const age = 18 + Math.floor(random() * 50);
        const year = options.base.getUTCFullYear() - age;
        const dob = `${year}-${String(1 + Math.floor(random() * 12)).padStart(2, "0")}-${String(1 + Math.floor(random() * 28)).padStart(2, "0")}`;
        registrations.push({
          provider,
          registrationId,
          raceId,
          eventId: event.eventId,
          userId: String(900_000 + Math.floor(random() * 99_999)),
          firstName: FIRST[Math.floor(random() * FIRST.length)] ?? "Ada",
          lastName: LAST[Math.floor(random() * LAST.length)] ?? "Abbott",
          gender: random() < 0.5 ? "F" : "M",
          dob,
          age,
          bib: String(p + 1),
          chip: null,
          email: `runner${registrationId}@example.test`,
          phone: null,
          city: null,
          state: null,
          country: "US",
          teamName: null,
          registeredAt: new Date(modifiedAt),
          modifiedAt: new Date(modifiedAt),
          raw: { registration_id: registrationId },
        });
      }
    }
  }
  return { races, registrations };
}
