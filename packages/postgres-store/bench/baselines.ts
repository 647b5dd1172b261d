import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { REGISTRATION_COLUMNS, type Registration } from "@project88/core";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";

/** The registrations table's columns in core's order: the baselines store what the store stores. */
const COLUMNS = REGISTRATION_COLUMNS.map((c) => c.column);

const TABLE_COLUMNS = `provider text NOT NULL, registration_id text NOT NULL, race_id text, event_id text, user_id text,
  first_name text, last_name text, gender text, dob date, age integer, bib text, chip text, email text, phone text, city text,
  state text, country text, team_name text, registered_at timestamptz, modified_at timestamptz, raw jsonb`;

function values(r: Registration): unknown[] {
  return REGISTRATION_COLUMNS.map((c) => (c.kind === "json" ? JSON.stringify(r.raw) : r[c.field]));
}

/**
 * (d) The origin system's method: for each row, SELECT it by registration id, then INSERT or
 * UPDATE it; each statement commits on its own, on one connection.
 */
export async function originMethod(client: pg.Client, schema: string, rows: readonly Registration[]): Promise<number> {
  const table = `"${schema}".origin_registrations`;
  await client.query(`CREATE TABLE ${table} (${TABLE_COLUMNS}, PRIMARY KEY (provider, registration_id))`);
  const placeholders = COLUMNS.map((_, i) => `$${i + 1}`).join(", ");
  const sets = COLUMNS.slice(2)
    .map((c, i) => `${c} = $${i + 3}`)
    .join(", ");
  const started = performance.now();
  for (const row of rows) {
    const found = await client.query(`SELECT 1 FROM ${table} WHERE provider = $1 AND registration_id = $2`, [
      row.provider,
      row.registrationId,
    ]);
    if (found.rowCount === 0) await client.query(`INSERT INTO ${table} (${COLUMNS.join(", ")}) VALUES (${placeholders})`, values(row));
    else await client.query(`UPDATE ${table} SET ${sets} WHERE provider = $1 AND registration_id = $2`, values(row));
  }
  return performance.now() - started;
}

/** Escapes one value for COPY's text format (`\N` is NULL). */
function copyValue(value: unknown): string {
  if (value === null || value === undefined) return "\\N";
  const text = value instanceof Date ? value.toISOString() : String(value);
  return text.replace(/[\\\t\n\r]/g, (c) => (c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r"));
}

/** (e) The ceiling: COPY the same rows (text built here, timed) into an unlogged table without indexes. */
export async function copyCeiling(client: pg.Client, schema: string, rows: readonly Registration[]): Promise<number> {
  const table = `"${schema}".copy_registrations`;
  await client.query(`CREATE UNLOGGED TABLE ${table} (${TABLE_COLUMNS})`);
  const started = performance.now();
  function* lines(): Generator<string> {
    let chunk = "";
    for (const row of rows) {
      chunk += `${values(row).map(copyValue).join("\t")}\n`;
      if (chunk.length > 1 << 20) {
        yield chunk;
        chunk = "";
      }
    }
    if (chunk) yield chunk;
  }
  await pipeline(Readable.from(lines()), client.query(copyFrom(`COPY ${table} (${COLUMNS.join(", ")}) FROM STDIN`)));
  return performance.now() - started;
}
