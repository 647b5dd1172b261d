import type { TestSqlClient } from "@project88/postgres-store/testing";
import type { FakeDataset, FakeRegistration, FakeRemoval } from "@project88/runsignup-adapter/testing";

/** A registrations row as the store keeps it, every column but `raw` (its identity and stamp are read). */
interface StoredRow {
  registration_id: string;
  race_id: string;
  event_id: string;
  user_id: string | null;
  first_name: string | null;
  last_name: string | null;
  gender: string | null;
  dob: string | null;
  age: number | null;
  bib: string | null;
  chip: string | null;
  email: string | null;
  phone: string | null;
  city: string | null;
  state: string | null;
  country: string | null;
  team_name: string | null;
  registered_at: string | null;
  modified_at: string | null;
  status: string;
  removed_reason: string | null;
  new_registration_id: string | null;
  raw_id: string | null;
  raw_modified: string | null;
}

const text = (v: string | number | null | undefined): string | null => {
  if (v === null || v === undefined) return null;
  const t = String(v).trim();
  return t === "" ? null : t;
};
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** What the store must hold for an active registration of the fake (the adapter's documented mapping). */
function expectedActive(r: FakeRegistration): Omit<StoredRow, "raw_id" | "raw_modified"> & { raw_id: string; raw_modified: string } {
  return {
    registration_id: String(r.registrationId),
    race_id: String(r.raceId),
    event_id: String(r.eventId),
    user_id: String(r.userId),
    first_name: text(r.firstName),
    last_name: text(r.lastName),
    gender: text(r.gender),
    dob: text(r.dob),
    age: r.age,
    bib: text(r.bib),
    chip: text(r.chip),
    email: text(r.email),
    phone: text(r.phone),
    city: text(r.city),
    state: text(r.state),
    country: "US",
    team_name: text(r.teamName),
    // RunSignUp sends the registration date to the minute, in US Eastern.
    registered_at: iso(Math.floor(r.registeredAt.getTime() / 60_000) * 60_000),
    modified_at: iso(r.modifiedAt * 1000),
    status: "active",
    removed_reason: null,
    new_registration_id: null,
    raw_id: String(r.registrationId),
    raw_modified: String(r.modifiedAt),
  };
}

/** The columns a removal decides (the rest keep whatever the active row last said). */
function expectedRemoved(
  f: FakeRemoval,
): Pick<StoredRow, "registration_id" | "race_id" | "event_id" | "status" | "removed_reason" | "new_registration_id" | "modified_at"> {
  return {
    registration_id: String(f.registration.registrationId),
    race_id: String(f.registration.raceId),
    event_id: String(f.registration.eventId),
    status: f.reason,
    removed_reason: f.reason,
    new_registration_id: f.newRegistrationId === null ? null : String(f.newRegistrationId),
    modified_at: iso(f.modifiedAt * 1000),
  };
}

/** Reads every registration the store keeps for `eventIds`. */
export async function storedRegistrations(sql: TestSqlClient, schema: string, eventIds: readonly string[]): Promise<StoredRow[]> {
  const rows = await sql.query<StoredRow & { registered_at: Date | null; modified_at: Date | null }>(
    `SELECT registration_id, race_id, event_id, user_id, first_name, last_name, gender, dob::text AS dob, age, bib, chip, email,
            phone, city, state, country, team_name, registered_at, modified_at, status, removed_reason, new_registration_id,
            raw->>'registration_id' AS raw_id, raw->>'last_modified' AS raw_modified
     FROM "${schema}".registrations WHERE provider = 'runsignup' AND event_id = ANY($1::text[])`,
    [[...eventIds]],
  );
  return rows.map((r) => ({
    ...r,
    registered_at: r.registered_at === null ? null : new Date(r.registered_at).toISOString(),
    modified_at: r.modified_at === null ? null : new Date(r.modified_at).toISOString(),
  }));
}

/**
 * Every difference between the store's registrations of `eventIds` (default: all of the fake's
 * events) and the fake's dataset: rows missing, rows extra, and each column that differs. An
 * empty list means the table equals the fake exactly. At most `limit` lines.
 */
export async function diffAgainstFake(
  sql: TestSqlClient,
  schema: string,
  dataset: FakeDataset,
  eventIds?: readonly number[],
  limit = 25,
): Promise<string[]> {
  const events = eventIds ?? [...dataset.events.keys()];
  const stored = await storedRegistrations(sql, schema, events.map(String));
  const out: string[] = [];
  const byId = new Map<string, StoredRow>();
  for (const row of stored) {
    if (byId.has(row.registration_id)) out.push(`duplicate row ${row.registration_id}`);
    byId.set(row.registration_id, row);
  }
  const wanted = new Set<string>();
  const compare = (id: string, expected: Record<string, unknown>) => {
    wanted.add(id);
    const row = byId.get(id) as Record<string, unknown> | undefined;
    if (row === undefined) {
      out.push(`missing ${id} (${String(expected.status)})`);
      return;
    }
    for (const [column, value] of Object.entries(expected)) {
      if (row[column] !== value) out.push(`${id}.${column}: stored ${JSON.stringify(row[column])}, fake ${JSON.stringify(value)}`);
    }
  };
  for (const eventId of events) {
    for (const r of dataset.activeOf(eventId)) compare(String(r.registrationId), expectedActive(r));
    for (const f of dataset.removedOf(eventId)) compare(String(f.registration.registrationId), expectedRemoved(f));
  }
  for (const row of stored)
    if (!wanted.has(row.registration_id)) out.push(`extra ${row.registration_id} (${row.status}) in event ${row.event_id}`);
  if (out.length > limit) return [...out.slice(0, limit), `... and ${out.length - limit} more`];
  return out;
}
