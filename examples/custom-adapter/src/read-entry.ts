import type { FieldProblem, Registration, SkippedRow } from "@project88/core";
import { PROVIDER, type RaceNestEntry } from "./racenest-api.js";

/** The entry fields an adapter reads as text, with core's name for each (what a problem names). */
const TEXT_FIELDS = { first: "firstName", last: "lastName", email: "email", bib: "bib" } as const;

/**
 * Reads one entry on its own, so one bad row never fails its page. A field of the wrong type is
 * null with a problem naming it (`raw` keeps what was sent); a row without a usable `entry_id` or
 * `race_id` cannot be stored and is skipped. Either way the page's cursor moves past it, so the
 * rest of the pass is unaffected. Reasons name types, never the provider's values.
 */
export function readEntry(json: unknown, raceId: string): { readonly row: Registration } | { readonly skipped: SkippedRow } {
  const o = (typeof json === "object" && json !== null ? json : {}) as Partial<Record<keyof RaceNestEntry, unknown>>;
  const id = typeof o.entry_id === "string" && o.entry_id !== "" ? o.entry_id : null;
  const eventId = typeof o.race_id === "string" && o.race_id !== "" ? o.race_id : null;
  if (id === null || eventId === null) {
    const [field, key] = id === null ? ["registrationId", "entry_id"] : ["eventId", "race_id"];
    return { skipped: { registrationId: id, eventId, field, reason: `${key} is missing or not a non-empty string` } };
  }
  const problems: FieldProblem[] = [];
  const text = (key: keyof typeof TEXT_FIELDS): string | null => {
    const value = o[key];
    if (typeof value === "string" || value === null || value === undefined) return value ?? null;
    problems.push({ field: TEXT_FIELDS[key], reason: `${key} is ${Array.isArray(value) ? "an array" : typeof value}, not text` });
    return null;
  };
  const updated = typeof o.updated_at === "string" ? Date.parse(o.updated_at) : Number.NaN;
  if (Number.isNaN(updated)) problems.push({ field: "modifiedAt", reason: "updated_at is not an ISO instant" });
  const row: Registration = {
    provider: PROVIDER,
    registrationId: id,
    raceId,
    eventId,
    userId: null,
    firstName: text("first"),
    lastName: text("last"),
    gender: null,
    dob: null,
    age: null,
    bib: text("bib"),
    chip: null,
    email: text("email"),
    phone: null,
    city: null,
    state: null,
    country: null,
    teamName: null,
    registeredAt: null,
    modifiedAt: Number.isNaN(updated) ? null : new Date(updated),
    raw: json,
    ...(problems.length > 0 ? { problems } : {}),
  };
  return { row };
}
