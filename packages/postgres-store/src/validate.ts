import { StoreError } from "@project88/core";
import type { Registration, Removal } from "@project88/core";

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
/** Half of a UTF-16 pair on its own: not valid Unicode, refused by PostgreSQL's json and text. */
const LONE_SURROGATE = /\p{Cs}/u;
/** The same, as JSON.stringify escapes it (`\ud800` not followed or preceded by its partner). */
const LONE_SURROGATE_ESCAPE = /\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}/i;

/**
 * Checks one value against its column's type before the page is sent, so a bad row fails with
 * an error naming it (one set-based statement could only say "invalid input syntax").
 * Returns the problem, or null.
 */
function problemOf(row: Registration | Removal): string | null {
  if (typeof row.registrationId !== "string" || row.registrationId === "") return "registrationId must be a non-empty string";
  if (typeof row.raceId !== "string" || row.raceId === "") return "raceId must be a non-empty string";
  if (typeof row.eventId !== "string" || row.eventId === "") return "eventId must be a non-empty string";
  const record = row as unknown as Record<string, unknown>;
  if ("newRegistrationId" in row && row.newRegistrationId !== null && typeof row.newRegistrationId !== "string") {
    return "newRegistrationId must be a string or null";
  }
  for (const field of TEXT_FIELDS) {
    const value = record[field];
    if (value === undefined && !(field in row)) continue;
    if (value !== null && typeof value !== "string") return `${field} must be a string or null`;
    // PostgreSQL text cannot hold NUL nor half a surrogate pair; the provider sending one is a
    // data error, not a crash. One cheap scan first: most values hold neither.
    if (typeof value === "string" && SUSPECT_CHAR.test(value)) {
      if (value.includes("\u0000")) return `${field} contains a NUL character`;
      if (LONE_SURROGATE.test(value)) return `${field} contains a lone UTF-16 surrogate`;
    }
  }
  if ("dob" in row && row.dob !== null) {
    const m = typeof row.dob === "string" ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(row.dob) : null;
    const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
    if (!m || !d || d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) {
      return `dob ${JSON.stringify(row.dob)} is not a calendar date (YYYY-MM-DD)`;
    }
  }
  if ("age" in row && row.age !== null && (!Number.isInteger(row.age) || row.age < 0 || row.age > INT4_MAX)) {
    return `age ${JSON.stringify(row.age)} is not a non-negative integer`;
  }
  for (const field of ["registeredAt", "modifiedAt"] as const) {
    const value = record[field];
    if (value === undefined || value === null) continue;
    if (!(value instanceof Date) || Number.isNaN(value.getTime())) return `${field} is not a valid Date`;
  }
  if ("reason" in row && !["removed", "transferred", "deferred", "cleared"].includes(row.reason)) {
    return `reason ${JSON.stringify(row.reason)} is not a removal reason`;
  }
  return null;
}

/** Serialises `raw` for a jsonb column, or names why it cannot be stored. */
export function rawJson(raw: unknown): { json: string | null; problem: string | null } {
  if (raw === undefined) return { json: null, problem: null };
  try {
    const json = JSON.stringify(raw);
    if (json.includes("\\u0000")) return { json: null, problem: "raw contains a NUL character (jsonb cannot store it)" };
    if (json.includes("\\ud") && LONE_SURROGATE_ESCAPE.test(json)) return { json: null, problem: "raw contains a lone UTF-16 surrogate" };
    return { json, problem: null };
  } catch (error) {
    return { json: null, problem: `raw is not serialisable as JSON (${error instanceof Error ? error.message : String(error)})` };
  }
}

/**
 * Validates every row of a page and serialises its raw JSON. The first bad row fails the whole
 * page with a non-retryable `StoreError` naming the registration; nothing has been written yet.
 */
export function checkRows<Row extends Registration | Removal>(provider: string, rows: readonly Row[], kind: string): (string | null)[] {
  const raws: (string | null)[] = [];
  for (const row of rows) {
    let problem = row.provider === provider ? problemOf(row) : `provider ${JSON.stringify(row.provider)} is not the pass's provider`;
    const raw = problem === null ? rawJson(row.raw) : { json: null, problem: null };
    problem ??= raw.problem;
    if (problem !== null) {
      throw new StoreError(
        `[postgres-store] commitPage: ${kind} ${JSON.stringify(String(row.registrationId))} (${provider}) was not written: ${problem}; the page was rolled back`,
        { retryable: false },
      );
    }
    raws.push(raw.json);
  }
  return raws;
}
