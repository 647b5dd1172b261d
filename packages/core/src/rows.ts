import type { Registration, Removal, RemovalReason } from "./types.js";

/**
 * Row checks every store applies before a page is written, so a bad row fails with an error that
 * names it (one set-based statement could only say "invalid input syntax") and the memory store
 * refuses exactly what PostgreSQL would.
 */

const REMOVAL_REASONS: readonly RemovalReason[] = ["removed", "transferred", "deferred", "cleared"];
const TEXT_FIELDS = [
  "userId",
  "firstName",
  "lastName",
  "gender",
  "bib",
  "chip",
  "email",
  "phone",
  "city",
  "state",
  "country",
  "teamName",
] as const;
const INT4_MAX = 2 ** 31 - 1;
/** NUL or any surrogate code unit (paired ones included): values worth a closer look. */
const SUSPECT_CHAR = /[\u0000\ud800-\udfff]/;
/** Half of a UTF-16 pair on its own: not valid Unicode, refused by PostgreSQL's text and json. */
const LONE_SURROGATE = /\p{Cs}/u;

/** True for a `YYYY-MM-DD` string naming a real calendar date (no 2001-02-30). */
export function isCalendarDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function isId(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

function instantProblem(field: string, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date && !Number.isNaN(value.getTime()) ? null : `${field} is not a valid Date`;
}

/** What the two kinds of row share: identity and provider. */
function keyProblem(row: Registration | Removal, provider: string): string | null {
  if (!isId(row.registrationId)) return "registrationId is empty";
  if (row.provider !== provider) return `provider ${JSON.stringify(row.provider)} is not the pass's provider ${JSON.stringify(provider)}`;
  if (!isId(row.raceId)) return "raceId is empty";
  if (!isId(row.eventId)) return "eventId is empty";
  return null;
}

/** The first problem of a registration row, or null when a PostgreSQL column would accept it. */
export function registrationProblem(row: Registration, provider: string): string | null {
  const key = keyProblem(row, provider);
  if (key !== null) return key;
  for (const field of TEXT_FIELDS) {
    const value: unknown = row[field];
    if (value !== null && typeof value !== "string") return `${field} is not a string or null`;
    // PostgreSQL text holds neither NUL nor half a surrogate pair; one cheap scan first.
    if (typeof value === "string" && SUSPECT_CHAR.test(value)) {
      if (value.includes("\u0000")) return `${field} contains a NUL character`;
      if (LONE_SURROGATE.test(value)) return `${field} contains a lone UTF-16 surrogate`;
    }
  }
  if (row.dob !== null && (typeof row.dob !== "string" || !isCalendarDate(row.dob))) {
    return `dob ${JSON.stringify(row.dob)} is not a calendar date (YYYY-MM-DD)`;
  }
  if (row.age !== null && !(Number.isInteger(row.age) && row.age >= 0 && row.age <= INT4_MAX)) {
    return `age ${JSON.stringify(row.age)} is not a non-negative integer`;
  }
  return instantProblem("registeredAt", row.registeredAt) ?? instantProblem("modifiedAt", row.modifiedAt);
}

/** The first problem of a removal row, or null. */
export function removalProblem(row: Removal, provider: string): string | null {
  const key = keyProblem(row, provider);
  if (key !== null) return key;
  if (!REMOVAL_REASONS.includes(row.reason)) return `reason ${JSON.stringify(row.reason)} is not one of ${REMOVAL_REASONS.join(", ")}`;
  if (row.newRegistrationId !== null && typeof row.newRegistrationId !== "string") return "newRegistrationId is not a string or null";
  return instantProblem("modifiedAt", row.modifiedAt);
}
