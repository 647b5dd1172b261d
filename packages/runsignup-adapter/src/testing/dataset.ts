/**
 * The fake RunSignUp's live data: keys, races, events, active registrations and the removal
 * feed, with the mutations a test or the demo drives while the server runs. Every mutation stamps
 * `modifiedAt` with the dataset's injectable `now()` in whole seconds, as RunSignUp's epoch
 * `last_modified` does, so `modified_after_timestamp` semantics can be driven exactly.
 */
import type { RemovalReason } from "@project88/core";
import { Malformations } from "./malformed.js";
import { createRng, generatePerson, type Person, type Rng } from "./people.js";

/** One partner's credentials. A key sees only the races it was granted. */
export interface FakeKey {
  readonly partner: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  /** Also accepted as `Authorization: Bearer <token>`. */
  readonly bearerToken: string;
}

export interface FakeEvent {
  readonly eventId: number;
  readonly raceId: number;
  readonly raceEventDaysId: number;
  name: string;
  distance: string;
  startsAt: Date;
  endsAt: Date | null;
}

export interface FakeRace {
  readonly raceId: number;
  name: string;
  /** IANA zone; event times are served as wall clock in it. */
  timezone: string;
  city: string;
  state: string;
  /** The api keys that can see this race. */
  readonly keys: Set<string>;
  /**
   * Keys that see the race (it is listed for them) but may not read its participants: RunSignUp
   * answers error 7 "Permission Denied" on the race's participant and removal feeds for them.
   */
  readonly deniedKeys: Set<string>;
  readonly createdAt: Date;
  modifiedAt: Date;
  readonly events: FakeEvent[];
}

export interface FakeRegistration extends Person {
  readonly registrationId: number;
  eventId: number;
  readonly raceId: number;
  /** A number normally; some are strings, some unassigned (null), as in real data. */
  bib: number | string | null;
  chip: string | null;
  registeredAt: Date;
  /** Epoch seconds (RunSignUp's `last_modified`). */
  modifiedAt: number;
  raceFee: string;
  imported: boolean;
}

export interface FakeRemoval {
  readonly registration: FakeRegistration;
  readonly reason: RemovalReason;
  readonly newRegistrationId: number | null;
  /** Epoch seconds of the removal. */
  readonly modifiedAt: number;
}

/** Options of `new FakeDataset`. */
export interface FakeDatasetOptions {
  /** Seeds every generated value. Default 1. */
  readonly seed?: number;
  /** The fake's clock. Default real time. */
  readonly now?: () => Date;
}

/** Inserts keeping the array sorted by `key` (appending is the common case: ids only grow). */
function insertSorted<T>(list: T[], item: T, key: (t: T) => number): void {
  const k = key(item);
  if (list.length === 0 || key(list[list.length - 1]!) <= k) {
    list.push(item);
    return;
  }
  let i = list.length;
  while (i > 0 && key(list[i - 1]!) > k) i--;
  list.splice(i, 0, item);
}

/** The first index whose key is greater than `after` (binary search on an ascending list). */
export function firstAfter<T>(list: readonly T[], after: number, key: (t: T) => number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(list[mid]!) <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const FEES = ["$35.00", "$40.00", "$45.00", "$55.00"];
const byRegId = (r: FakeRegistration) => r.registrationId;
const byRemovedId = (r: FakeRemoval) => r.registration.registrationId;

/** The live dataset behind the fake server. */
export class FakeDataset {
  readonly rng: Rng;
  now: () => Date;
  readonly keys = new Map<string, FakeKey>();
  readonly races = new Map<number, FakeRace>();
  readonly events = new Map<number, FakeEvent>();
  /** Active registrations per event, ascending by registration id. */
  readonly active = new Map<number, FakeRegistration[]>();
  /** Removal feed per event, ascending by registration id. */
  readonly removed = new Map<number, FakeRemoval[]>();
  readonly registrations = new Map<number, FakeRegistration>();
  /** Edits to what is served (malformed rows and races); the data itself stays well-formed. */
  readonly malformed = new Malformations();
  #nextRace = 100_001;
  #nextEvent = 600_001;
  #nextRegistration = 40_000_001;
  #nextUser = 9_000_001;
  #nextBib = new Map<number, number>();

  constructor(options: FakeDatasetOptions = {}) {
    this.rng = createRng(options.seed ?? 1);
    this.now = options.now ?? (() => new Date());
  }

  /** The current time in whole epoch seconds. */
  nowSeconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }

  /** Adds a partner's key. Secrets are generated from the seed unless given. */
  addKey(partner: string, credentials: Partial<Omit<FakeKey, "partner">> = {}): FakeKey {
    const tag = `${partner.toLowerCase().replace(/[^a-z0-9]/g, "")}${this.keys.size + 1}`;
    const key: FakeKey = {
      partner,
      apiKey: credentials.apiKey ?? `key-${tag}`,
      apiSecret: credentials.apiSecret ?? `secret-${tag}-${Math.floor(this.rng.next() * 1e9).toString(36)}`,
      bearerToken: credentials.bearerToken ?? `token-${tag}-${Math.floor(this.rng.next() * 1e9).toString(36)}`,
    };
    this.keys.set(key.apiKey, key);
    return key;
  }

  /** The key for an api_key/api_secret pair or a bearer token; null when wrong. */
  authenticate(apiKey: string | null, apiSecret: string | null, bearer: string | null): FakeKey | null {
    if (bearer !== null) return [...this.keys.values()].find((k) => k.bearerToken === bearer) ?? null;
    const key = apiKey === null ? undefined : this.keys.get(apiKey);
    return key !== undefined && key.apiSecret === apiSecret ? key : null;
  }

  /** Adds a race visible to `keys`, with its events. */
  addRace(input: {
    keys: readonly (FakeKey | string)[];
    timezone: string;
    name?: string;
    city?: string;
    state?: string;
    events: readonly { startsAt: Date; endsAt?: Date | null; name?: string; distance?: string }[];
  }): FakeRace {
    const raceId = this.#nextRace++;
    const now = this.now();
    const race: FakeRace = {
      raceId,
      name: input.name ?? `Race ${raceId}`,
      timezone: input.timezone,
      city: input.city ?? "Springfield",
      state: input.state ?? "CO",
      keys: new Set(input.keys.map((k) => (typeof k === "string" ? k : k.apiKey))),
      deniedKeys: new Set(),
      createdAt: new Date(now.getTime() - 120 * 86_400_000),
      modifiedAt: now,
      events: [],
    };
    this.races.set(raceId, race);
    const daysId = 200_000 + raceId;
    for (const e of input.events) {
      const event: FakeEvent = {
        eventId: this.#nextEvent++,
        raceId,
        raceEventDaysId: daysId,
        name: e.name ?? e.distance ?? "5K",
        distance: e.distance ?? "5K",
        startsAt: e.startsAt,
        endsAt: e.endsAt ?? null,
      };
      race.events.push(event);
      this.events.set(event.eventId, event);
      this.active.set(event.eventId, []);
      this.removed.set(event.eventId, []);
    }
    return race;
  }

  #event(eventId: number): FakeEvent {
    const event = this.events.get(eventId);
    if (event === undefined) throw new Error(`fake RunSignUp: no event ${eventId}`);
    return event;
  }

  #registration(registrationId: number): FakeRegistration {
    const reg = this.registrations.get(registrationId);
    if (reg === undefined) throw new Error(`fake RunSignUp: no active registration ${registrationId}`);
    return reg;
  }

  /**
   * A new registration with generated fields (overridden by `fields`), registered at
   * `registeredAt` and last modified at `modifiedAt` (epoch seconds, default the registration).
   */
  create(eventId: number, fields: Partial<FakeRegistration> = {}, registeredAt = this.now(), modifiedAt?: number): FakeRegistration {
    const event = this.#event(eventId);
    const p = generatePerson(this.rng, this.#nextUser++, registeredAt.getUTCFullYear());
    const bibNo = (this.#nextBib.get(eventId) ?? 0) + 1;
    this.#nextBib.set(eventId, bibNo);
    const bibRoll = this.rng.next();
    // Built field by field: object spread of a wide object costs tens of microseconds in V8,
    // which a season of tens of thousands of rows cannot afford.
    const reg: FakeRegistration = {
      registrationId: this.#nextRegistration++,
      eventId,
      raceId: event.raceId,
      userId: p.userId,
      firstName: p.firstName,
      middleName: p.middleName,
      lastName: p.lastName,
      email: p.email,
      dob: p.dob,
      gender: p.gender,
      phone: p.phone,
      street: p.street,
      city: p.city,
      state: p.state,
      zipcode: p.zipcode,
      age: p.age,
      teamId: p.teamId,
      teamName: p.teamName,
      answers: p.answers,
      bib: bibRoll < 0.08 ? null : bibRoll < 0.12 ? String(bibNo) : bibNo,
      chip: this.rng.chance(0.6) ? `C${String(bibNo).padStart(5, "0")}` : null,
      registeredAt,
      modifiedAt: modifiedAt ?? Math.floor(registeredAt.getTime() / 1000),
      raceFee: this.rng.pick(FEES),
      imported: this.rng.chance(0.02),
    };
    for (const name of Object.keys(fields) as (keyof FakeRegistration)[]) {
      if (name !== "registrationId" && name !== "raceId") (reg as unknown as Record<string, unknown>)[name] = fields[name];
    }
    if (reg.eventId !== eventId) throw new Error("fake RunSignUp: fields.eventId must match the event");
    insertSorted(this.active.get(eventId)!, reg, byRegId);
    this.registrations.set(reg.registrationId, reg);
    return reg;
  }

  /** Registers a new participant now. */
  register(eventId: number, fields: Partial<FakeRegistration> = {}): FakeRegistration {
    const now = this.now();
    return this.create(eventId, fields, now, Math.floor(now.getTime() / 1000));
  }

  /** Changes a registration now (default: a new chip), bumping `modifiedAt`. */
  modify(registrationId: number, changes: Partial<Omit<FakeRegistration, "registrationId" | "raceId">> = {}): FakeRegistration {
    const reg = this.#registration(registrationId);
    if (changes.eventId !== undefined && changes.eventId !== reg.eventId) {
      throw new Error("fake RunSignUp: use transfer() to move a registration");
    }
    const defaults = Object.keys(changes).length === 0 ? { chip: `C${this.rng.int(10_000, 99_999)}` } : {};
    Object.assign(reg, defaults, changes, { modifiedAt: this.nowSeconds() });
    return reg;
  }

  #removeActive(reg: FakeRegistration, reason: RemovalReason, newRegistrationId: number | null): FakeRemoval {
    const list = this.active.get(reg.eventId)!;
    list.splice(list.indexOf(reg), 1);
    this.registrations.delete(reg.registrationId);
    const removal: FakeRemoval = { registration: reg, reason, newRegistrationId, modifiedAt: this.nowSeconds() };
    insertSorted(this.removed.get(reg.eventId)!, removal, byRemovedId);
    return removal;
  }

  /** Removes (refunds) a registration now; it appears in the removal feed. */
  remove(registrationId: number, reason: "removed" | "cleared" = "removed"): FakeRemoval {
    return this.#removeActive(this.#registration(registrationId), reason, null);
  }

  /** Transfers a registration (to another event, default the same) under a new registration id. */
  transfer(registrationId: number, toEventId?: number): { removal: FakeRemoval; registration: FakeRegistration } {
    const old = this.#registration(registrationId);
    const registration = this.register(toEventId ?? old.eventId, {
      firstName: old.firstName,
      middleName: old.middleName,
      lastName: old.lastName,
      email: old.email,
      dob: old.dob,
      gender: old.gender,
      phone: old.phone,
      age: old.age,
    });
    return { removal: this.#removeActive(old, "transferred", registration.registrationId), registration };
  }

  /** Defers a registration to a later edition: it leaves the event with reason `deferred`. */
  defer(registrationId: number): FakeRemoval {
    return this.#removeActive(this.#registration(registrationId), "deferred", null);
  }

  /** Moves an event's start (and end); the race's `last_modified` changes. */
  setEventStart(eventId: number, startsAt: Date, endsAt: Date | null = null): FakeEvent {
    const event = this.#event(eventId);
    event.startsAt = startsAt;
    event.endsAt = endsAt;
    this.races.get(event.raceId)!.modifiedAt = this.now();
    return event;
  }

  /** Active registrations of an event, ascending by id. */
  activeOf(eventId: number): readonly FakeRegistration[] {
    return this.active.get(eventId) ?? [];
  }

  /** The removal feed of an event, ascending by id. */
  removedOf(eventId: number): readonly FakeRemoval[] {
    return this.removed.get(eventId) ?? [];
  }

  /** Races the key can see. */
  /**
   * Withdraws (or, with `denied` false, gives back) one key's access to a race's participants:
   * the race stays listed for the key, its participant and removal feeds answer error 7.
   */
  denyParticipants(raceId: number, key: FakeKey | string, denied = true): void {
    const race = this.races.get(raceId);
    if (race === undefined) throw new Error(`fake RunSignUp: race ${raceId} is unknown`);
    const apiKey = typeof key === "string" ? key : key.apiKey;
    if (denied) race.deniedKeys.add(apiKey);
    else race.deniedKeys.delete(apiKey);
  }

  racesFor(key: FakeKey): FakeRace[] {
    return [...this.races.values()].filter((r) => r.keys.has(key.apiKey));
  }

  /** Total active registrations. */
  get registrationCount(): number {
    return this.registrations.size;
  }
}

export { createRng, type Person, type Rng } from "./people.js";
