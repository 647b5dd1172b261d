import type { Registration } from "./types.js";

/**
 * How a registration field is stored, which decides how a store checks, compares and reads it:
 * - `id`: part of the row's key (`provider`, `registrationId`), never rewritten by an upsert;
 * - `key`: a required id that places the row (`raceId`, `eventId`);
 * - `text`, `date` (`YYYY-MM-DD`, no zone), `integer`, `instant`: nullable normalised values;
 * - `json`: the provider's own row.
 */
export type RegistrationColumnKind = "id" | "key" | "text" | "date" | "integer" | "instant" | "json";

/** One field of `Registration` with the column that stores it. */
export interface RegistrationColumn {
  readonly field: keyof Registration;
  /** The column's name in a SQL store (snake case). */
  readonly column: string;
  readonly kind: RegistrationColumnKind;
  /** Describes a person: anonymisation and `forget` clear it (`raw` is cleared on its own). */
  readonly personal: boolean;
}

/**
 * Every stored field of a registration, in `Registration`'s order (which is the order of the
 * registrations table and of the problems a row check reports). The one place this list and its
 * column names are written: the row checks, `PERSONAL_FIELDS`, the memory store's comparison and
 * the PostgreSQL store's SQL and row mapping are derived from it. `problems` is not here: each
 * store keeps it with its own first-seen instants.
 */
export const REGISTRATION_COLUMNS = [
  { field: "provider", column: "provider", kind: "id", personal: false },
  { field: "registrationId", column: "registration_id", kind: "id", personal: false },
  { field: "raceId", column: "race_id", kind: "key", personal: false },
  { field: "eventId", column: "event_id", kind: "key", personal: false },
  { field: "userId", column: "user_id", kind: "text", personal: true },
  { field: "firstName", column: "first_name", kind: "text", personal: true },
  { field: "lastName", column: "last_name", kind: "text", personal: true },
  { field: "gender", column: "gender", kind: "text", personal: true },
  { field: "dob", column: "dob", kind: "date", personal: true },
  { field: "age", column: "age", kind: "integer", personal: true },
  { field: "bib", column: "bib", kind: "text", personal: true },
  { field: "chip", column: "chip", kind: "text", personal: true },
  { field: "email", column: "email", kind: "text", personal: true },
  { field: "phone", column: "phone", kind: "text", personal: true },
  { field: "city", column: "city", kind: "text", personal: true },
  { field: "state", column: "state", kind: "text", personal: true },
  { field: "country", column: "country", kind: "text", personal: true },
  { field: "teamName", column: "team_name", kind: "text", personal: true },
  { field: "registeredAt", column: "registered_at", kind: "instant", personal: false },
  { field: "modifiedAt", column: "modified_at", kind: "instant", personal: false },
  { field: "raw", column: "raw", kind: "json", personal: false },
] as const satisfies readonly RegistrationColumn[];

type Listed = (typeof REGISTRATION_COLUMNS)[number];

/** The fields of the columns of one kind. */
export type RegistrationFieldOfKind<Kind extends RegistrationColumnKind> = Extract<Listed, { readonly kind: Kind }>["field"];

/** A stored field of a registration (every field of `Registration` but `problems`). */
export type RegistrationField = Listed["field"];

/** The listed columns of the given kinds, in order. */
export function registrationColumnsOf<Kind extends RegistrationColumnKind>(
  ...kinds: readonly Kind[]
): Extract<Listed, { readonly kind: Kind }>[] {
  return REGISTRATION_COLUMNS.filter((c): c is Extract<Listed, { readonly kind: Kind }> =>
    (kinds as readonly RegistrationColumnKind[]).includes(c.kind),
  );
}
