/**
 * Maps validated RunSignUp bodies to core's provider-neutral types.
 *
 * Time rules (RunSignUp's own): event `start_time`/`end_time` are wall-clock in the race's IANA
 * zone; every other date string is US Eastern; `last_modified`/`last_modified_ts` epochs are UTC.
 * Conversion happens here so no naive string travels further.
 */
import type { Race, Registration, Removal, RemovalReason, SyncEvent } from "@project88/core";
import { SchemaError } from "@project88/core";
import type { EventBody, ParticipantBody, RaceBody, RemovedParticipantBody } from "./schemas.js";
import { EASTERN, epochSecondsToDate, isValidTimeZone, parseZonedDateTime, slashDateToIso } from "./time.js";

/** The provider name on everything this adapter returns. */
export const PROVIDER = "runsignup";

function schemaError(path: string, message: string): SchemaError {
  return new SchemaError(`[runsignup] ${path}: ${message}`, [{ path, message }]);
}

function optionalId(value: string | number | null | undefined): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** Trimmed text, or null for null/empty (names arrive with leading spaces). */
function text(value: string | number | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const out = String(value).trim();
  return out === "" ? null : out;
}

function zonedInstant(value: string | null | undefined, zone: string, path: string): Date | null {
  if (value === null || value === undefined || value.trim() === "") return null;
  const at = parseZonedDateTime(value, zone);
  if (at === null) throw schemaError(path, `unreadable date-time "${value}"`);
  return at;
}

function mapEvent(race: RaceBody, event: EventBody, zone: string, path: string): SyncEvent {
  const startsAt = zonedInstant(event.start_time, zone, `${path}.start_time`);
  if (startsAt === null) throw schemaError(`${path}.start_time`, "missing start time");
  return {
    provider: PROVIDER,
    eventId: String(event.event_id),
    raceId: String(race.race_id),
    name: text(event.name) ?? `event ${event.event_id}`,
    startsAt,
    endsAt: zonedInstant(event.end_time, zone, `${path}.end_time`),
    raw: event,
  };
}

/** A race body (with its `events`) to a core `Race`. The zone defaults to New York, as RunSignUp's does. */
export function mapRace(race: RaceBody, path = "race"): Race {
  const zone = text(race.timezone) ?? EASTERN;
  if (!isValidTimeZone(zone)) throw schemaError(`${path}.timezone`, `unknown time zone "${zone}"`);
  const { events = [], ...rest } = race;
  return {
    provider: PROVIDER,
    raceId: String(race.race_id),
    name: text(race.name) ?? `race ${race.race_id}`,
    timezone: zone,
    nextDate: race.next_date ? slashDateToIso(race.next_date) : null,
    raw: rest,
    events: events.map((e, i) => mapEvent(race, e, zone, `${path}.events[${i}]`)),
  };
}

/** One active participant row. `eventId` is the element's event, used when the row lacks one. */
export function mapParticipant(row: ParticipantBody, raceId: string, eventId: string, path: string): Registration {
  const user = row.user ?? null;
  return {
    provider: PROVIDER,
    registrationId: String(row.registration_id),
    raceId,
    eventId: row.event_id === undefined ? eventId : String(row.event_id),
    userId: optionalId(user?.user_id),
    firstName: text(user?.first_name),
    lastName: text(user?.last_name),
    gender: text(user?.gender),
    dob: text(user?.dob),
    age: row.age === null || row.age === undefined ? null : Number(row.age),
    bib: text(row.bib_num),
    chip: text(row.chip_num),
    email: text(user?.email),
    phone: text(user?.phone),
    city: text(user?.address?.city),
    state: text(user?.address?.state),
    country: text(user?.address?.country_code),
    teamName: text(row.team_name),
    registeredAt: zonedInstant(row.registration_date, EASTERN, `${path}.registration_date`),
    modifiedAt: row.last_modified === null || row.last_modified === undefined ? null : epochSecondsToDate(Number(row.last_modified)),
    raw: row,
  };
}

const REASONS: ReadonlySet<string> = new Set<RemovalReason>(["removed", "transferred", "deferred", "cleared"]);

/** One removed-participants row; `eventId` is the enclosing `event.event_id`. */
export function mapRemoval(row: RemovedParticipantBody, raceId: string, eventId: string, path: string): Removal {
  const reason = row.removed_reason.trim().toLowerCase();
  // A reason RunSignUp adds later still means the registration left the event; the raw row keeps
  // the provider's word for it.
  const mapped: RemovalReason = REASONS.has(reason) ? (reason as RemovalReason) : "removed";
  let modifiedAt: Date | null = null;
  if (row.last_modified_ts !== null && row.last_modified_ts !== undefined) {
    modifiedAt = epochSecondsToDate(Number(row.last_modified_ts));
  } else if (typeof row.last_modified === "number") {
    modifiedAt = epochSecondsToDate(row.last_modified);
  } else {
    modifiedAt = zonedInstant(row.last_modified, EASTERN, `${path}.last_modified`);
  }
  return {
    provider: PROVIDER,
    registrationId: String(row.registration_id),
    raceId,
    eventId: row.event_id === undefined ? eventId : String(row.event_id),
    reason: mapped,
    newRegistrationId: optionalId(row.new_registration_id),
    modifiedAt,
    raw: row,
  };
}
