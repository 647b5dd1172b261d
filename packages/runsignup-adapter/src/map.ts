/**
 * Maps validated RunSignUp bodies to core's provider-neutral types.
 *
 * Time rules (RunSignUp's own): event `start_time`/`end_time` are wall-clock in the race's IANA
 * zone; every other date string is US Eastern; `last_modified`/`last_modified_ts` epochs are UTC.
 * Conversion happens here so no naive string travels further.
 */
import type { FieldProblem, Race, Registration, Removal, RemovalReason, SkippedRace, SyncEvent } from "@project88/core";
import { cleanProviderText, SchemaError } from "@project88/core";
import { parseRow, previewValue, readableId, type ElementRows, type ParsedRow } from "./read-rows.js";
import { eventSchema, participantSchema, raceSchema, removedParticipantSchema } from "./schemas.js";
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
  let endsAt: Date | null;
  try {
    endsAt = zonedInstant(event.end_time, zone, `${path}.end_time`);
  } catch {
    endsAt = null; // an unreadable end loses only the end: the start is what scheduling needs
  }
  return {
    provider: PROVIDER,
    eventId: String(event.event_id),
    raceId: String(race.race_id),
    name: text(event.name) ?? `event ${event.event_id}`,
    startsAt,
    endsAt,
    raw: event,
  };
}

/** A race as discovery reads it: the race with its readable events (null when the race itself is unreadable) and what was skipped. */
export interface RaceRead {
  readonly race: Race | null;
  readonly skipped: SkippedRace[];
}

function skip(raceId: string | null, eventId: string | null, reason: string): SkippedRace {
  return { skipped: true, provider: PROVIDER, raceId, eventId, reason: cleanProviderText(reason) };
}

function idOf(value: unknown, key: string): string | null {
  const id = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
  return typeof id === "number" || (typeof id === "string" && id !== "") ? cleanProviderText(String(id), 100) : null;
}

/**
 * Reads one race body (with its `events`). A race that does not match its schema or names an
 * unknown time zone is skipped whole; an event that does not match or has an unreadable start is
 * skipped alone. The zone defaults to New York, as RunSignUp's does.
 */
export function readRace(value: unknown, path = "race"): RaceRead {
  const parsed = raceSchema.safeParse(value);
  const raceId = idOf(value, "race_id");
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      race: null,
      skipped: [skip(raceId, null, `${path}: ${issue?.path.map(String).join(".") ?? ""} ${issue?.message ?? "unreadable"}`)],
    };
  }
  const race = parsed.data;
  const zone = text(race.timezone) ?? EASTERN;
  if (!isValidTimeZone(zone))
    return { race: null, skipped: [skip(raceId, null, `${path}.timezone: unknown time zone ${previewValue(zone)}`)] };
  const { events = [], ...rest } = race;
  const skipped: SkippedRace[] = [];
  const mapped: SyncEvent[] = [];
  events.forEach((e, i) => {
    const at = `${path}.events[${i}]`;
    const event = eventSchema.safeParse(e);
    if (!event.success) {
      const issue = event.error.issues[0];
      skipped.push(
        skip(raceId, idOf(e, "event_id"), `${at}.${issue?.path.map(String).join(".") ?? ""}: ${issue?.message ?? "unreadable"}`),
      );
      return;
    }
    try {
      mapped.push(mapEvent(race, event.data, zone, at));
    } catch (error) {
      skipped.push(skip(raceId, String(event.data.event_id), error instanceof Error ? error.message : String(error)));
    }
  });
  return {
    race: {
      provider: PROVIDER,
      raceId: String(race.race_id),
      name: text(race.name) ?? `race ${race.race_id}`,
      timezone: zone,
      nextDate: race.next_date ? slashDateToIso(race.next_date) : null,
      raw: rest,
      events: mapped,
    },
    skipped,
  };
}

/**
 * A race body (with its `events`) to a core `Race`, strictly: anything `readRace` would skip
 * is a `SchemaError` here. The zone defaults to New York, as RunSignUp's does.
 */
export function mapRace(race: RaceBody | unknown, path = "race"): Race {
  const read = readRace(race, path);
  const first = read.skipped[0];
  if (first !== undefined || read.race === null) throw schemaError(path, first?.reason ?? "unreadable race");
  return read.race;
}

/** An instant field that could not be read: null, with a problem. */
function lenientInstant(
  value: string | null | undefined,
  zone: string,
  path: string,
  field: string,
  problems: FieldProblem[],
): Date | null {
  try {
    return zonedInstant(value, zone, path);
  } catch {
    if (!problems.some((p) => p.field === field))
      problems.push({ field, reason: cleanProviderText(`${path.replace(/^.*\]\./, "")} ${previewValue(value)}: unreadable date-time`) });
    return null;
  }
}

/**
 * One active participant row. `eventId` is the element's event, used when the row lacks one.
 * An unreadable `registration_date` is null with a problem; `problems` carries the fields the
 * row's parse dropped.
 */
export function mapParticipant(
  row: ParticipantBody,
  raceId: string,
  eventId: string,
  path: string,
  problems: readonly FieldProblem[] = [],
  raw: unknown = row,
): Registration {
  const user = row.user ?? null;
  const found = [...problems];
  const registeredAt = lenientInstant(row.registration_date, EASTERN, `${path}.registration_date`, "registeredAt", found);
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
    registeredAt,
    modifiedAt: row.last_modified === null || row.last_modified === undefined ? null : epochSecondsToDate(Number(row.last_modified)),
    raw,
    ...(found.length > 0 ? { problems: found } : {}),
  };
}

const REASONS: ReadonlySet<string> = new Set<RemovalReason>(["removed", "transferred", "deferred", "cleared"]);

/** One removed-participants row; `eventId` is the enclosing `event.event_id`. */
export function mapRemoval(
  row: RemovedParticipantBody,
  raceId: string,
  eventId: string,
  path: string,
  problems: readonly FieldProblem[] = [],
  raw: unknown = row,
): Removal {
  const reason = (row.removed_reason ?? "").trim().toLowerCase();
  const found = [...problems];
  // A reason RunSignUp adds later still means the registration left the event; the raw row keeps
  // the provider's word for it.
  const mapped: RemovalReason = REASONS.has(reason) ? (reason as RemovalReason) : "removed";
  let modifiedAt: Date | null = null;
  if (row.last_modified_ts !== null && row.last_modified_ts !== undefined) {
    modifiedAt = epochSecondsToDate(Number(row.last_modified_ts));
  } else if (typeof row.last_modified === "number") {
    modifiedAt = epochSecondsToDate(row.last_modified);
  } else {
    modifiedAt = lenientInstant(row.last_modified, EASTERN, `${path}.last_modified`, "modifiedAt", found);
  }
  return {
    provider: PROVIDER,
    registrationId: String(row.registration_id),
    raceId,
    eventId: row.event_id === undefined ? eventId : String(row.event_id),
    reason: mapped,
    newRegistrationId: optionalId(row.new_registration_id),
    modifiedAt,
    raw,
    ...(found.length > 0 ? { problems: found } : {}),
  };
}

/**
 * Reads one element's rows with `parse` + `map`, row by row: each row that cannot be read at
 * all becomes a skipped row. `raw` is always the row exactly as received.
 */
function readElement<Body, Row>(
  rows: readonly unknown[] | undefined,
  eventId: string,
  path: string,
  parse: (value: unknown) => ParsedRow<Body>,
  map: (body: Body, rowPath: string, problems: FieldProblem[], raw: unknown) => Row,
): ElementRows<Row> {
  const out: ElementRows<Row> = { rows: [], skipped: [], size: rows?.length ?? 0 };
  (rows ?? []).forEach((value, j) => {
    const rowPath = `${path}[${j}]`;
    const parsed = parse(value);
    if ("skip" in parsed) {
      out.skipped.push({
        registrationId: readableId(value),
        eventId,
        field: "registrationId",
        reason: cleanProviderText(`${rowPath}: ${parsed.skip}`),
      });
      return;
    }
    out.rows.push(map(parsed.data, rowPath, parsed.problems, value));
  });
  return out;
}

/** The active participant rows of one element. */
export function readParticipants(
  rows: readonly unknown[] | undefined,
  raceId: string,
  eventId: string,
  path: string,
): ElementRows<Registration> {
  return readElement<ParticipantBody, Registration>(
    rows,
    eventId,
    path,
    (v) => parseRow(participantSchema, v),
    (body, rowPath, problems, raw) => mapParticipant(body, raceId, eventId, rowPath, problems, raw),
  );
}

/** The removed-participant rows of one element. */
export function readRemovals(rows: readonly unknown[] | undefined, raceId: string, eventId: string, path: string): ElementRows<Removal> {
  return readElement<RemovedParticipantBody, Removal>(
    rows,
    eventId,
    path,
    (v) => parseRow(removedParticipantSchema, v),
    (body, rowPath, problems, raw) => mapRemoval(body, raceId, eventId, rowPath, problems, raw),
  );
}
