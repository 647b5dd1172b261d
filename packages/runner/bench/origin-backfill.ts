import type { TestSqlClient } from "@project88/postgres-store/testing";
import type { FakeKey, FakeRunSignup } from "@project88/runsignup-adapter/testing";

/**
 * The origin system's backfill, for the ratio in `bench:e2e` (b): pages of 1,000 participants
 * (here by `after_registration_id`, as the fake pages; the origin paged by page number, which
 * costs the same calls), and each row written on its own, a SELECT then an INSERT, each
 * committing by itself, as `packages/postgres-store/bench` models it.
 */
export async function originBackfill(
  fake: FakeRunSignup,
  key: FakeKey,
  raceId: number,
  eventId: number,
  sql: TestSqlClient,
  schema: string,
  limit: number,
): Promise<{ seconds: number; calls: number; rows: number }> {
  const table = `"${schema}".origin_registrations`;
  await sql.query(`CREATE TABLE ${table} (registration_id text PRIMARY KEY, event_id text, user_id text, first_name text, last_name text,
    gender text, dob text, age integer, bib text, chip text, email text, raw jsonb)`);
  const started = performance.now();
  let after = 0;
  let calls = 0;
  let rows = 0;
  while (rows < limit) {
    const url = `${fake.url}/race/${raceId}/participants?format=json&event_id=${eventId}&results_per_page=1000&after_registration_id=${after}&api_key=${key.apiKey}&api_secret=${key.apiSecret}`;
    calls++;
    const body = (await (await fetch(url)).json()) as { participants?: Record<string, unknown>[] }[];
    const page = body.flatMap((e) => e.participants ?? []);
    if (page.length === 0) break;
    for (const p of page) {
      if (rows >= limit) break;
      const user = (p.user ?? {}) as Record<string, unknown>;
      const id = String(p.registration_id);
      const found = await sql.query(`SELECT 1 FROM ${table} WHERE registration_id = $1`, [id]);
      if (found.length === 0) {
        await sql.query(`INSERT INTO ${table} VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, [
          id,
          String(eventId),
          user.user_id ?? null,
          user.first_name ?? null,
          user.last_name ?? null,
          user.gender ?? null,
          user.dob ?? null,
          p.age ?? null,
          p.bib_num ?? null,
          p.chip_num ?? null,
          user.email ?? null,
          JSON.stringify(p),
        ]);
      }
      rows++;
      after = Number(p.registration_id);
    }
    if (page.length < 1000) break;
  }
  return { seconds: (performance.now() - started) / 1000, calls, rows };
}
