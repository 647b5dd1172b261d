/**
 * Wall-clock ⇄ UTC conversion with `Intl`, never fixed offsets.
 *
 * RunSignUp sends event start/end times as wall-clock strings in the race's IANA zone and every
 * other date string in US Eastern. A fixed offset is wrong for half the year, and the two DST
 * transition days are where a naive conversion goes wrong, so the rules below are explicit:
 * - an ambiguous wall time (the repeated hour when clocks go back) resolves to the earlier
 *   instant (the first occurrence, still in summer time);
 * - a wall time that does not exist (the skipped hour when clocks go forward) is read with the
 *   offset in force before the jump, i.e. it lands after the jump (02:30 → 03:30 summer time).
 */

/** The zone RunSignUp uses for every date string that is not an event time. */
export const EASTERN = "America/New_York";

/** Calendar and clock fields of a wall-clock time. Months are 1-12. */
export interface WallClock {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second?: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    // Throws RangeError for an unknown zone, which callers turn into a typed error.
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** True when `zone` is an IANA zone this runtime knows. */
export function isValidTimeZone(zone: string): boolean {
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

function intlWallClock(instantMs: number, zone: string): Required<WallClock> {
  const out = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of formatterFor(zone).formatToParts(new Date(instantMs))) {
    if (part.type in out) out[part.type as keyof typeof out] = Number(part.value);
  }
  return out;
}

// Offsets change only at transitions, which fall on quarter hours in every modern zone, so one
// Intl lookup per zone and quarter hour serves every instant in it (the fake formats thousands
// of rows per page; Intl's formatToParts costs microseconds a call).
const QUARTER_HOUR_MS = 900_000;
const offsetCache = new Map<string, Map<number, number>>();

/** The zone's offset from UTC at `instantMs`, in milliseconds (e.g. -4 h for EDT). */
export function zoneOffsetMs(instantMs: number, zone: string): number {
  let byBucket = offsetCache.get(zone);
  if (byBucket === undefined) {
    formatterFor(zone);
    byBucket = new Map();
    offsetCache.set(zone, byBucket);
  }
  const bucket = Math.floor(instantMs / QUARTER_HOUR_MS);
  let offset = byBucket.get(bucket);
  if (offset === undefined) {
    const start = bucket * QUARTER_HOUR_MS;
    const w = intlWallClock(start, zone);
    offset = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - start;
    if (byBucket.size > 200_000) byBucket.clear();
    byBucket.set(bucket, offset);
  }
  return offset;
}

/** The wall-clock fields of `instantMs` in `zone` (seconds precision). */
export function wallClockOf(instantMs: number, zone: string): Required<WallClock> {
  const d = new Date(Math.floor(instantMs / 1000) * 1000 + zoneOffsetMs(instantMs, zone));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

const DAY_MS = 86_400_000;

/** Converts a wall-clock time in `zone` to its UTC instant (see the module doc for DST rules). */
export function wallClockToUtc(wall: WallClock, zone: string): Date {
  const local = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second ?? 0);
  // A day either side brackets any DST transition, so one of these offsets is the right one.
  const before = zoneOffsetMs(local - DAY_MS, zone);
  const after = zoneOffsetMs(local + DAY_MS, zone);
  const candidates = [local - before, local - after].filter((t) => zoneOffsetMs(t, zone) === local - t);
  if (candidates.length === 0) return new Date(local - before); // the skipped hour
  return new Date(Math.min(...candidates));
}

const SLASH_DATE_TIME = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$/;
const ISO_DATE_TIME = /^\s*(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?\s*$/;
const SLASH_DATE = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/;

function checked(w: Required<WallClock>): Required<WallClock> | null {
  if (w.month < 1 || w.month > 12 || w.day < 1 || w.day > 31 || w.hour > 23 || w.minute > 59 || w.second > 59) return null;
  // Reject dates like 2/30 that Date.UTC would silently roll over.
  const probe = new Date(Date.UTC(w.year, w.month - 1, w.day));
  return probe.getUTCDate() === w.day ? w : null;
}

/**
 * Parses RunSignUp's date-time strings: `M/D/YYYY H:MM` (race and event fields, participants'
 * `registration_date`) and `YYYY-MM-DD HH:MM:SS` (removed participants). Null when malformed.
 */
export function parseWallClock(text: string): Required<WallClock> | null {
  let m = SLASH_DATE_TIME.exec(text);
  if (m !== null) {
    return checked({ year: +m[3]!, month: +m[1]!, day: +m[2]!, hour: +m[4]!, minute: +m[5]!, second: +(m[6] ?? 0) });
  }
  m = ISO_DATE_TIME.exec(text);
  if (m !== null) {
    return checked({ year: +m[1]!, month: +m[2]!, day: +m[3]!, hour: +m[4]!, minute: +m[5]!, second: +(m[6] ?? 0) });
  }
  return null;
}

/** Parses a RunSignUp wall-clock string in `zone` to a UTC instant; null when malformed. */
export function parseZonedDateTime(text: string, zone: string): Date | null {
  const wall = parseWallClock(text);
  return wall === null ? null : wallClockToUtc(wall, zone);
}

/** `MM/DD/YYYY` (race `next_date`) to the calendar date `YYYY-MM-DD`; null when malformed. */
export function slashDateToIso(text: string): string | null {
  const m = SLASH_DATE.exec(text);
  if (m === null) return null;
  const w = checked({ year: +m[3]!, month: +m[1]!, day: +m[2]!, hour: 0, minute: 0, second: 0 });
  return w === null ? null : `${m[3]}-${pad2(w.month)}-${pad2(w.day)}`;
}

/** Epoch seconds (RunSignUp's `last_modified`) to a Date. */
export function epochSecondsToDate(seconds: number): Date {
  return new Date(seconds * 1000);
}

/** An instant as whole epoch seconds, rounded down (the unit of `modified_after_timestamp`). */
export function toEpochSeconds(instant: Date): number {
  return Math.floor(instant.getTime() / 1000);
}

/** `M/D/YYYY HH:MM` in `zone`: the format RunSignUp uses for event and race times. */
export function formatSlashDateTime(instantMs: number, zone: string): string {
  const w = wallClockOf(instantMs, zone);
  return `${w.month}/${w.day}/${w.year} ${pad2(w.hour)}:${pad2(w.minute)}`;
}

/** `YYYY-MM-DD HH:MM:SS` in `zone`: the removed-participants format. */
export function formatIsoDateTime(instantMs: number, zone: string): string {
  const w = wallClockOf(instantMs, zone);
  return `${w.year}-${pad2(w.month)}-${pad2(w.day)} ${pad2(w.hour)}:${pad2(w.minute)}:${pad2(w.second)}`;
}

/** `MM/DD/YYYY` of the instant's calendar date in `zone`. */
export function formatSlashDate(instantMs: number, zone: string): string {
  const w = wallClockOf(instantMs, zone);
  return `${pad2(w.month)}/${pad2(w.day)}/${w.year}`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
