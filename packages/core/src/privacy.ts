import { REGISTRATION_COLUMNS } from "./registration-columns.js";
import type { RawPolicy } from "./types.js";

type PersonalColumn = Extract<(typeof REGISTRATION_COLUMNS)[number], { readonly personal: true }>;

/** A personal field of a registration. */
export type PersonalField = PersonalColumn["field"];

/**
 * The normalised fields of a registration that describe a person (those `REGISTRATION_COLUMNS`
 * marks personal, in its order). Anonymisation (retention) and `forget` set each of them, and
 * `raw`, to null; ids, event, status and the registration's instants stay so counts and the
 * sync's ordering rules keep working.
 */
export const PERSONAL_FIELDS: readonly PersonalField[] = REGISTRATION_COLUMNS.filter((c): c is PersonalColumn => c.personal).map(
  (c) => c.field,
);

/** Every personal field set to null: what a row holds when nothing about the person is known. */
export function withoutPersonalFields(): { readonly [F in PersonalField]: null } {
  return Object.fromEntries(PERSONAL_FIELDS.map((field) => [field, null])) as { readonly [F in PersonalField]: null };
}

/**
 * Applies a connection's raw policy to one row's provider JSON: kept whole (`"full"`), dropped
 * (`"none"`, null), or reduced to the listed top-level fields of an object (a non-object raw
 * keeps nothing under an allow-list: there is no field to allow).
 */
export function keepRaw(raw: unknown, policy: RawPolicy): unknown {
  if (policy === "full") return raw;
  if (policy === "none" || raw === null || typeof raw !== "object" || Array.isArray(raw)) return null;
  const source = raw as Record<string, unknown>;
  // fromEntries defines own properties: a provider field named `__proto__` stays a plain field.
  return Object.fromEntries(policy.keep.filter((field) => Object.hasOwn(source, field)).map((field) => [field, source[field]]));
}

/** The rows with their `raw` reduced by the policy (the same array when it keeps everything). */
export function applyRawPolicy<Row extends { readonly raw: unknown }>(rows: readonly Row[], policy: RawPolicy): readonly Row[] {
  if (policy === "full") return rows;
  return rows.map((row) => ({ ...row, raw: keepRaw(row.raw, policy) }));
}

/** Two raw policies are the same (a change aborts the connection's running passes). */
export function sameRawPolicy(a: RawPolicy, b: RawPolicy): boolean {
  if (typeof a === "string" || typeof b === "string") return a === b;
  return a.keep.length === b.keep.length && a.keep.every((f, i) => f === b.keep[i]);
}
