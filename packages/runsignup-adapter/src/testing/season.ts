/**
 * Generates a season for the fake RunSignUp: partners (keys), races in several time zones with
 * events at chosen offsets from an anchor instant, and registrations with realistic fields.
 * Registration ids of a race's events interleave, as they do when people sign up for a race's
 * events at once, so CSV `event_id` paging is exercised for real.
 */
import { FakeDataset, type FakeKey, type FakeRace } from "./dataset.js";

/** Options of `generateSeason`. Everything has a default; the same seed gives the same season. */
export interface SeasonOptions {
  readonly seed?: number;
  /** The fake's clock (default real time). */
  readonly now?: () => Date;
  /** Event offsets are measured from here. Default `now()`. */
  readonly anchor?: Date;
  /** How many partners (default 3), or their names. Each gets one key. */
  readonly partners?: number | readonly string[];
  readonly racesPerPartner?: number;
  readonly eventsPerRace?: number;
  /** Registrations per event (default 150), or a function of the race's and event's index. */
  readonly registrationsPerEvent?: number | ((raceIndex: number, eventIndex: number) => number);
  /**
   * Hours from the anchor to each race's first start, used in turn. The default mixes a race
   * that started, races within hours (race morning), tomorrow, next week and next months.
   */
  readonly startOffsetsHours?: readonly number[];
  /** IANA zones used in turn. */
  readonly timezones?: readonly string[];
  /** Every n-th race is also visible to the next partner's key (0: none). Default 0. */
  readonly shareEveryNthRace?: number;
  /** Add to an existing dataset instead of a new one. */
  readonly dataset?: FakeDataset;
}

export interface FakePartner {
  readonly name: string;
  readonly key: FakeKey;
  readonly races: FakeRace[];
}

export interface FakeSeason {
  readonly dataset: FakeDataset;
  readonly partners: readonly FakePartner[];
}

export const DEFAULT_OFFSETS_HOURS: readonly number[] = [-20, 1.5, 3, 6, 20, 30, 72, 24 * 7, 24 * 21, 24 * 60, 24 * 120];
export const DEFAULT_TIMEZONES: readonly string[] = [
  "America/New_York",
  "America/Chicago",
  "America/Denver",
  "America/Los_Angeles",
  "America/Phoenix",
  "Pacific/Honolulu",
];
const DISTANCES = ["5K", "10K", "Half Marathon", "Marathon", "1 Mile", "15K"];
const RACE_WORDS = [
  "Turkey Trot",
  "Shamrock Shuffle",
  "Harbor Run",
  "Canyon Trail Race",
  "Reindeer Run",
  "Bridge Run",
  "Memorial Mile",
  "Sunrise Dash",
];
const QUARTER_HOUR = 900_000;

/** Generates a season. Fast: tens of thousands of registrations take well under a second. */
export function generateSeason(options: SeasonOptions = {}): FakeSeason {
  const dataset = options.dataset ?? new FakeDataset({ seed: options.seed ?? 1, now: options.now });
  const rng = dataset.rng;
  const now = dataset.now();
  const anchor = options.anchor ?? now;
  const names =
    typeof options.partners === "object"
      ? options.partners
      : Array.from({ length: options.partners ?? 3 }, (_, i) => `Partner ${String.fromCharCode(65 + i)}`);
  const racesPerPartner = options.racesPerPartner ?? 6;
  const eventsPerRace = options.eventsPerRace ?? 2;
  const perEvent = options.registrationsPerEvent ?? 150;
  const offsets = options.startOffsetsHours ?? DEFAULT_OFFSETS_HOURS;
  const zones = options.timezones ?? DEFAULT_TIMEZONES;
  const shareEvery = options.shareEveryNthRace ?? 0;

  const partners: FakePartner[] = names.map((name) => ({ name, key: dataset.addKey(name), races: [] }));
  let raceIndex = 0;
  for (const [p, partner] of partners.entries()) {
    for (let r = 0; r < racesPerPartner; r++, raceIndex++) {
      const offsetH = offsets[raceIndex % offsets.length]!;
      const first = Math.round((anchor.getTime() + offsetH * 3_600_000) / QUARTER_HOUR) * QUARTER_HOUR;
      const keys: FakeKey[] = [partner.key];
      const other = partners[(p + 1) % partners.length]!;
      if (shareEvery > 0 && raceIndex % shareEvery === shareEvery - 1 && other !== partner) keys.push(other.key);
      const race = dataset.addRace({
        keys,
        timezone: zones[raceIndex % zones.length]!,
        name: `${rng.pick(RACE_WORDS)} ${2026 + (raceIndex % 2)} #${raceIndex + 1}`,
        events: Array.from({ length: eventsPerRace }, (_, e) => {
          const startsAt = new Date(first + e * QUARTER_HOUR);
          const distance = DISTANCES[(raceIndex + e) % DISTANCES.length]!;
          return { startsAt, endsAt: e % 2 === 0 ? new Date(startsAt.getTime() + 4 * 3_600_000) : null, distance, name: distance };
        }),
      });
      for (const k of keys) (k === partner.key ? partner : other).races.push(race);
      fillRace(dataset, race, (e) => (typeof perEvent === "function" ? perEvent(raceIndex, e) : perEvent), now);
    }
  }
  return { dataset, partners };
}

/** Creates the race's registrations with ids interleaved across its events, registered before `now`. */
function fillRace(dataset: FakeDataset, race: FakeRace, countOf: (eventIndex: number) => number, now: Date): void {
  const rng = dataset.rng;
  const slots: number[] = [];
  race.events.forEach((_, e) => {
    for (let i = countOf(e); i > 0; i--) slots.push(e);
  });
  for (let i = slots.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [slots[i], slots[j]] = [slots[j]!, slots[i]!];
  }
  const end = now.getTime() - 60_000;
  const span = 90 * 86_400_000;
  slots.forEach((e, i) => {
    // Ids grow with registration time, as RunSignUp's do.
    const registeredAt = new Date(Math.floor((end - span + (span * (i + 1)) / (slots.length + 1)) / 1000) * 1000);
    const touched = rng.chance(0.2) ? Math.min(end, registeredAt.getTime() + rng.int(60, 30 * 86_400) * 1000) : registeredAt.getTime();
    dataset.create(race.events[e]!.eventId, undefined, registeredAt, Math.floor(touched / 1000));
  });
}
