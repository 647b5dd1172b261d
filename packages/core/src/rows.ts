import { cleanProviderText } from "./provider-text.js";
import type { RowProblem } from "./store.js";
import type { FieldProblem, Registration, Removal, RemovalReason, SkippedRow } from "./types.js";
import { storableRaw } from "./raw-json.js";
import { registrationColumnsOf } from "./registration-columns.js";

/**
 * Row checks every store applies before a page is written, so both stores store exactly the
 * same thing. A provider row is never allowed to fail its page: a field PostgreSQL would refuse
 * (or that is not what its column means) is stored as null with a problem naming it, the raw row
 * is made storable, and a row that cannot be stored at all (no usable key) is skipped and
 * reported. One bad registration must not stop a race.
 */

const REMOVAL_REASONS: readonly RemovalReason[] = ["removed", "transferred", "deferred", "cleared"];
/** The text fields a row check looks at, in the order their problems are reported. */
const TEXT_FIELDS = registrationColumnsOf("text").map((c) => c.field);
const INSTANT_FIELDS = registrationColumnsOf("instant").map((c) => c.field);
const INT4_MAX = 2 ** 31 - 1;
/** NUL or any surrogate code unit (paired ones included): values worth a closer look. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding NUL is this regex's job
const SUSPECT_CHAR = /[\u0000\ud800-\udfff]/;
/** Half of a UTF-16 pair on its own: not valid Unicode, refused by PostgreSQL's text and json. */
const LONE_SURROGATE = /\p{Cs}/u;
/** timestamptz holds nothing before 4713 BC. */
const MIN_YEAR = -4712;

/** True for a `YYYY-MM-DD` string naming a real calendar date (no 2001-02-30). */
export function isCalendarDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return year >= 1 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** A short, clean rendering of a bad value for a problem's reason. */
function preview(value: unknown): string {
  let text: string;
  try {
    text = value instanceof Date ? String(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = typeof value;
  }
  return cleanProviderText(text, 60);
}

/** Why a text value cannot go into a text column, or null. */
function textProblem(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== "string") return `${preview(value)} is not text`;
  // PostgreSQL text holds neither NUL nor half a surrogate pair; one cheap scan first.
  if (SUSPECT_CHAR.test(value)) {
    if (value.includes("\u0000")) return "contains a NUL character";
    if (LONE_SURROGATE.test(value)) return "contains a lone UTF-16 surrogate";
  }
  return null;
}

function instantProblem(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) return `${preview(value)} is not a valid instant`;
  return value.getUTCFullYear() < MIN_YEAR ? `${value.toISOString()} is before 4713 BC` : null;
}

/** Why a key value (registration, race or event id) cannot be stored, or null. */
function keyProblem(value: unknown): string | null {
  if (typeof value !== "string" || value.length === 0)
    return value === undefined || value === null || value === "" ? "is missing" : `${preview(value)} is not text`;
  return textProblem(value);
}

function cleanId(value: unknown): string | null {
  return typeof value === "string" && value.length > 0 ? cleanProviderText(value, 100) : null;
}

/** The reason a row cannot be stored at all (its key), as a skipped row; null when it can. */
function skipOf(row: Registration | Removal, provider: string): SkippedRow | null {
  const skip = (field: string, reason: string): SkippedRow => ({
    registrationId: cleanId(row.registrationId),
    eventId: cleanId(row.eventId),
    field,
    reason,
  });
  const id = keyProblem(row.registrationId);
  if (id !== null) return skip("registrationId", `registrationId ${id}`);
  if (row.provider !== provider)
    return skip("provider", `provider ${preview(row.provider)} is not the pass's provider ${preview(provider)}`);
  const race = keyProblem(row.raceId);
  if (race !== null) return skip("raceId", `raceId ${race}`);
  const event = keyProblem(row.eventId);
  if (event !== null) return skip("eventId", `eventId ${event}`);
  return null;
}

/** Problems the adapter reported, cleaned, first per field. */
function adapterProblems(row: Registration | Removal): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const p of Array.isArray(row.problems) ? row.problems : []) {
    const field = cleanProviderText(String(p?.field ?? "unknown"), 100);
    if (!out.some((q) => q.field === field)) out.push({ field, reason: cleanProviderText(String(p?.reason ?? "")) });
  }
  return out;
}

function addProblem(problems: FieldProblem[], field: string, reason: string): void {
  if (!problems.some((p) => p.field === field)) problems.push({ field, reason });
}

/** The outcome of checking one row: the row to store (bad fields null, problems listed), or a skip. */
export type RowCheck<Row> =
  | { readonly row: Row; readonly skipped?: undefined }
  | { readonly row?: undefined; readonly skipped: SkippedRow };

/**
 * Checks a registration row. A field that fails is set to null and listed in `problems` (with
 * the adapter's own problems); `raw` is made storable (see `storableRaw`). A row whose key
 * cannot be stored is returned as `skipped`.
 */
export function checkRegistration(row: Registration, provider: string): RowCheck<Registration> {
  const skipped = skipOf(row, provider);
  if (skipped !== null) return { skipped };
  const problems = adapterProblems(row);
  // Collect the fields to null first: a clean row (the common case) is returned as it is, since
  // copying a wide object per row costs more than every check together.
  const nulls: (keyof Registration)[] = [];
  for (const field of TEXT_FIELDS) {
    const problem = textProblem(row[field] ?? null);
    if (problem !== null) {
      nulls.push(field);
      addProblem(problems, field, `${field} ${problem}`);
    }
  }
  if (row.dob !== null && (typeof row.dob !== "string" || !isCalendarDate(row.dob))) {
    nulls.push("dob");
    addProblem(problems, "dob", `dob ${preview(row.dob)} is not a calendar date (YYYY-MM-DD)`);
  }
  if (row.age !== null && !(Number.isInteger(row.age) && row.age >= 0 && row.age <= INT4_MAX)) {
    nulls.push("age");
    addProblem(problems, "age", `age ${preview(row.age)} is not a non-negative integer`);
  }
  for (const field of INSTANT_FIELDS) {
    const problem = instantProblem(row[field]);
    if (problem !== null) {
      nulls.push(field);
      addProblem(problems, field, `${field} ${problem}`);
    }
  }
  const raw = storableRaw(row.raw);
  if (raw.problem !== null) addProblem(problems, "raw", raw.problem);
  if (problems.length === 0 && raw.raw === row.raw && row.problems === undefined) return { row };
  const out: Record<string, unknown> = { ...row, raw: raw.raw, problems };
  for (const field of nulls) out[field] = null;
  return { row: out as unknown as Registration };
}

/** Checks a removal row the same way (an unknown `reason` cannot be stored: skipped). */
export function checkRemoval(row: Removal, provider: string): RowCheck<Removal> {
  const skipped =
    skipOf(row, provider) ??
    (REMOVAL_REASONS.includes(row.reason)
      ? null
      : {
          registrationId: cleanId(row.registrationId),
          eventId: cleanId(row.eventId),
          field: "reason",
          reason: `reason ${preview(row.reason)} is not one of ${REMOVAL_REASONS.join(", ")}`,
        });
  if (skipped !== null) return { skipped };
  const problems = adapterProblems(row);
  const nulls: (keyof Removal)[] = [];
  const newId = textProblem(row.newRegistrationId ?? null);
  if (newId !== null) {
    nulls.push("newRegistrationId");
    addProblem(problems, "newRegistrationId", `newRegistrationId ${newId}`);
  }
  const modified = instantProblem(row.modifiedAt);
  if (modified !== null) {
    nulls.push("modifiedAt");
    addProblem(problems, "modifiedAt", `modifiedAt ${modified}`);
  }
  const raw = storableRaw(row.raw);
  if (raw.problem !== null) addProblem(problems, "raw", raw.problem);
  if (problems.length === 0 && raw.raw === row.raw && row.problems === undefined) return { row };
  const out: Record<string, unknown> = { ...row, raw: raw.raw, problems };
  for (const field of nulls) out[field] = null;
  return { row: out as unknown as Removal };
}

/** The first problem of a registration row that would null a field or skip it, or null when it is clean. */
export function registrationProblem(row: Registration, provider: string): string | null {
  const checked = checkRegistration(row, provider);
  return checked.skipped !== undefined ? checked.skipped.reason : (checked.row.problems?.[0]?.reason ?? null);
}

/** The first problem of a removal row, or null. */
export function removalProblem(row: Removal, provider: string): string | null {
  const checked = checkRemoval(row, provider);
  return checked.skipped !== undefined ? checked.skipped.reason : (checked.row.problems?.[0]?.reason ?? null);
}

/** A page after its checks: the rows to store and every problem found, in page order. */
export interface CheckedPage {
  readonly registrations: Registration[];
  readonly removals: Removal[];
  /** Skipped rows (the adapter's and the store's) and nulled fields, one entry each. */
  readonly problems: RowProblem[];
}

/**
 * Checks every row of a page (both stores call this, so they store and report the same). The
 * adapter's skipped rows are listed first.
 */
export function checkPage(args: {
  readonly provider: string;
  readonly registrations?: readonly Registration[] | undefined;
  readonly removals?: readonly Removal[] | undefined;
  readonly skipped?: readonly SkippedRow[] | undefined;
}): CheckedPage {
  const problems: RowProblem[] = (args.skipped ?? []).map((s) => ({
    registrationId: s.registrationId === null ? null : cleanProviderText(String(s.registrationId), 100),
    eventId: s.eventId === null ? null : cleanProviderText(String(s.eventId), 100),
    field: cleanProviderText(String(s.field), 100),
    reason: cleanProviderText(String(s.reason)),
    skipped: true,
  }));
  const collect = <Row extends Registration | Removal>(rows: readonly Row[], check: (row: Row) => RowCheck<Row>): Row[] => {
    const kept: Row[] = [];
    for (const input of rows) {
      const checked = check(input);
      if (checked.skipped !== undefined) {
        problems.push({ ...checked.skipped, skipped: true });
        continue;
      }
      kept.push(checked.row);
      for (const p of checked.row.problems ?? [])
        problems.push({
          registrationId: checked.row.registrationId,
          eventId: checked.row.eventId,
          field: p.field,
          reason: p.reason,
          skipped: false,
        });
    }
    return kept;
  };
  const registrations = collect(args.registrations ?? [], (r) => checkRegistration(r, args.provider));
  const removals = collect(args.removals ?? [], (r) => checkRemoval(r, args.provider));
  return { registrations, removals, problems };
}

/** A row of an event the store does not know: it is skipped like any other unstorable row. */
export function unknownEventProblem(row: Registration | Removal): RowProblem {
  return {
    registrationId: row.registrationId,
    eventId: row.eventId,
    field: "eventId",
    reason: `event ${preview(row.eventId)} is unknown to the store`,
    skipped: true,
  };
}

/** How many problems a run keeps as its sample (`sync_runs.problem_sample`). */
export const PROBLEM_SAMPLE_SIZE = 20;

/**
 * Moves the rows of events the store does not know out of a checked page, as skipped rows (a
 * provider may list a row under an event discovery has not stored yet).
 */
export function withoutUnknownEvents(page: CheckedPage, known: (eventId: string) => boolean): CheckedPage {
  const stray = [...page.registrations, ...page.removals].filter((r) => !known(r.eventId));
  if (stray.length === 0) return page;
  const strayIds = new Set(stray.map((r) => r.registrationId));
  return {
    registrations: page.registrations.filter((r) => known(r.eventId)),
    removals: page.removals.filter((r) => known(r.eventId)),
    problems: [
      ...page.problems.filter((p) => p.skipped || p.registrationId === null || !strayIds.has(p.registrationId)),
      ...stray.map(unknownEventProblem),
    ],
  };
}
