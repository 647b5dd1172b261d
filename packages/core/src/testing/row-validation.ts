import { StoreError } from "../errors.js";
import type { Registration, Removal, RemovalReason } from "../types.js";

const REASONS: readonly RemovalReason[] = ["removed", "transferred", "deferred", "cleared"];
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

/** True for a `YYYY-MM-DD` string naming a real calendar date (no 2001-02-30). */
export function isCalendarDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function isInstantOrNull(value: unknown): boolean {
  return value === null || (value instanceof Date && !Number.isNaN(value.getTime()));
}

function isId(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

/**
 * The first problem of a registration row, or null when a database would accept it. Mirrors
 * the columns' types so the memory store refuses what PostgreSQL would refuse.
 */
export function registrationProblem(row: Registration, provider: string): string | null {
  if (!isId(row.registrationId)) return "registrationId is empty";
  if (row.provider !== provider) return `provider "${String(row.provider)}" is not "${provider}"`;
  if (!isId(row.raceId)) return "raceId is empty";
  if (!isId(row.eventId)) return "eventId is empty";
  for (const field of TEXT_FIELDS) {
    const value: unknown = row[field];
    if (value !== null && typeof value !== "string") return `${field} is not a string or null`;
  }
  if (row.dob !== null && (typeof row.dob !== "string" || !isCalendarDate(row.dob))) {
    return `dob ${JSON.stringify(row.dob)} is not a calendar date (YYYY-MM-DD)`;
  }
  if (row.age !== null && !(Number.isInteger(row.age) && row.age >= 0)) {
    return `age ${String(row.age)} is not a non-negative integer`;
  }
  if (!isInstantOrNull(row.registeredAt)) return "registeredAt is not a valid Date";
  if (!isInstantOrNull(row.modifiedAt)) return "modifiedAt is not a valid Date";
  return null;
}

/** The first problem of a removal row, or null. */
export function removalProblem(row: Removal, provider: string): string | null {
  if (!isId(row.registrationId)) return "registrationId is empty";
  if (row.provider !== provider) return `provider "${String(row.provider)}" is not "${provider}"`;
  if (!isId(row.raceId)) return "raceId is empty";
  if (!isId(row.eventId)) return "eventId is empty";
  if (!REASONS.includes(row.reason)) return `reason ${JSON.stringify(row.reason)} is not one of ${REASONS.join(", ")}`;
  if (row.newRegistrationId !== null && typeof row.newRegistrationId !== "string") return "newRegistrationId is not a string or null";
  if (!isInstantOrNull(row.modifiedAt)) return "modifiedAt is not a valid Date";
  return null;
}

/** The error for a refused row: names the registration so the operator can find it. */
export function invalidRowError(kind: "registration" | "removal", registrationId: unknown, problem: string): StoreError {
  const id = typeof registrationId === "string" && registrationId.length > 0 ? registrationId : JSON.stringify(registrationId ?? null);
  return new StoreError(`[memory-store] ${kind} ${id}: ${problem}; nothing of the page was written`, { retryable: false });
}

/** Structural equality of JSON-like values (raw provider rows, Dates included). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const rb = b as Record<string, unknown>;
  const ra = a as Record<string, unknown>;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(rb, k) && deepEqual(ra[k], rb[k]));
}
