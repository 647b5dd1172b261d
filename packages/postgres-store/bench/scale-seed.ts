/**
 * Seeding for `pnpm bench:scale`, in set-based SQL so a hundred thousand events load in seconds.
 * The company modelled: `live` events syncing now (two per race, starting within the next day,
 * each with `registrationsPerEvent` registrations), and finished events at a steady rate of
 * `DONE_PER_DAY` (about 100,000 over five seasons), the i-th most recent finished event
 * starting `(i + 1) / DONE_PER_DAY` days before the newest. Finished events carry counts
 * (`event_counts`) and runs, not registrations: their registrations are never read by the paths
 * measured, and twenty million rows would not load on this machine.
 */
import type pg from "pg";

export const PROVIDER = "scripted";
export const CONNECTION = "c1";
/** Finished events per day (99,500 over five years). */
export const DONE_PER_DAY = 54.5;
/** Runs kept per finished event (one in fifty failed). */
export const RUNS_PER_DONE_EVENT = 3;

const DAY_S = 86_400;

/** The live events: races `L{k}` with events `L{k}-a`, `L{k}-b`, every one due now. */
export async function seedLive(client: pg.Client, s: string, now: Date, live: number, registrationsPerEvent: number): Promise<void> {
  await client.query(
    `INSERT INTO ${s}.races (provider, race_id, name, timezone, next_date, raw, first_seen_at, updated_at)
     SELECT $1, 'L' || k, 'Live race ' || k, 'America/Denver', ($2::timestamptz)::date, jsonb_build_object('race_id', k), $2, $2
     FROM generate_series(0, $3 / 2 - 1) AS k`,
    [PROVIDER, now, live],
  );
  await client.query(
    `INSERT INTO ${s}.events (provider, event_id, race_id, name, starts_at, ends_at, raw, first_seen_at, updated_at)
     SELECT $1, 'L' || (j / 2) || CASE WHEN j % 2 = 0 THEN '-a' ELSE '-b' END, 'L' || (j / 2), 'Event ' || j,
       $2::timestamptz + make_interval(mins => 30 + (j % 48) * 30), NULL, jsonb_build_object('event_id', j), $2, $2
     FROM generate_series(0, $3 - 1) AS j`,
    [PROVIDER, now, live],
  );
  await client.query(
    `INSERT INTO ${s}.sync_state (provider, event_id, race_id, tier, priority, next_due_at, cursor_at, removals_cursor_at,
       backfilled_at, last_success_at, updated_at)
     SELECT e.provider, e.event_id, e.race_id, 'high', 1, $2::timestamptz - make_interval(secs => (hashtext(e.event_id) & 63)),
       $2::timestamptz - interval '2 minutes', $2::timestamptz - interval '2 minutes', $2::timestamptz - interval '30 days',
       $2::timestamptz - interval '1 minute', $2
     FROM ${s}.events e WHERE e.provider = $1 AND e.event_id LIKE 'L%'`,
    [PROVIDER, now],
  );
  await client.query(
    `INSERT INTO ${s}.connection_events (connection_id, provider, event_id, first_seen_at, last_seen_at)
     SELECT $2, provider, event_id, $3, $3 FROM ${s}.events WHERE provider = $1 AND event_id LIKE 'L%'`,
    [PROVIDER, CONNECTION, now],
  );
  // One statement per 100 events keeps each transition table (and its trigger) moderate.
  for (let from = 0; from < live; from += 100) {
    await client.query(
      `INSERT INTO ${s}.registrations (provider, registration_id, race_id, event_id, user_id, first_name, last_name, gender,
         dob, age, bib, email, city, state, country, registered_at, modified_at, status, raw, first_seen_at, updated_at, status_changed_at)
       SELECT $1, (j * $3 + n)::text, 'L' || (j / 2), 'L' || (j / 2) || CASE WHEN j % 2 = 0 THEN '-a' ELSE '-b' END,
         (2000000 + j * $3 + n)::text, 'Ada', 'Runner' || n, CASE WHEN n % 2 = 0 THEN 'F' ELSE 'M' END,
         date '1980-01-01' + (n % 9000), 20 + n % 50, (n + 1)::text, 'runner' || (j * $3 + n) || '@example.test', 'Boulder', 'CO', 'US',
         $2::timestamptz - interval '60 days', $2::timestamptz - make_interval(mins => n % 10000),
         CASE WHEN n % 40 = 0 THEN 'removed' ELSE 'active' END,
         jsonb_build_object('registration_id', j * $3 + n, 'event_id', j, 'bib_num', n + 1, 'giveaway', 'M',
           'user', jsonb_build_object('first_name', 'Ada', 'last_name', 'Runner' || n, 'email', 'runner' || n || '@example.test',
             'address', jsonb_build_object('street', n || ' Main St', 'city', 'Boulder', 'state', 'CO', 'zipcode', '80302'))),
         $2, $2, $2
       FROM generate_series($4::int, $5::int) AS j, generate_series(0, $3 - 1) AS n`,
      [PROVIDER, now, registrationsPerEvent, from, Math.min(live, from + 100) - 1],
    );
  }
}

/** Finished events `D{i}` for i in [from, to), one per race, with counts and runs. */
export async function seedDone(client: pg.Client, s: string, now: Date, from: number, to: number): Promise<void> {
  if (to <= from) return;
  const step = DAY_S / DONE_PER_DAY;
  const starts = `$2::timestamptz - interval '5 hours' - make_interval(secs => (i + 1) * ${step})`;
  await client.query(
    `INSERT INTO ${s}.races (provider, race_id, name, timezone, next_date, raw, first_seen_at, updated_at)
     SELECT $1, 'D' || i, 'Finished race ' || i, 'America/Denver', (${starts})::date, jsonb_build_object('race_id', i), ${starts}, ${starts}
     FROM generate_series($3::int, $4::int) AS i`,
    [PROVIDER, now, from, to - 1],
  );
  await client.query(
    `INSERT INTO ${s}.events (provider, event_id, race_id, name, starts_at, ends_at, raw, first_seen_at, updated_at)
     SELECT $1, 'D' || i, 'D' || i, '10K', ${starts}, NULL, jsonb_build_object('event_id', i), ${starts}, ${starts}
     FROM generate_series($3::int, $4::int) AS i`,
    [PROVIDER, now, from, to - 1],
  );
  await client.query(
    `INSERT INTO ${s}.sync_state (provider, event_id, race_id, tier, priority, next_due_at, cursor_at, backfilled_at,
       last_reconciled_at, last_success_at, updated_at)
     SELECT $1, 'D' || i, 'D' || i, 'done', 4, NULL, ${starts} + interval '1 hour', ${starts} - interval '90 days',
       ${starts} + interval '1 day', ${starts} + interval '1 day', ${starts} + interval '1 day'
     FROM generate_series($3::int, $4::int) AS i`,
    [PROVIDER, now, from, to - 1],
  );
  await client.query(
    `INSERT INTO ${s}.connection_events (connection_id, provider, event_id, first_seen_at, last_seen_at)
     SELECT $5, $1, 'D' || i, ${starts}, ${starts} FROM generate_series($3::int, $4::int) AS i`,
    [PROVIDER, now, from, to - 1, CONNECTION],
  );
  await client.query(
    `INSERT INTO ${s}.event_counts (provider, event_id, active, total)
     SELECT $1, 'D' || i, 150 + i % 100, 160 + i % 100 FROM generate_series($2::int, $3::int) AS i`,
    [PROVIDER, from, to - 1],
  );
  await client.query(
    `INSERT INTO ${s}.sync_runs (connection_id, provider, race_id, event_ids, kind, owner, started_at, finished_at, status,
       api_calls, rows_inserted, rows_updated, rows_unchanged, rows_removed, error)
     SELECT $5, $1, 'D' || i, ARRAY['D' || i], CASE WHEN r = 0 THEN 'reconcile' ELSE 'incremental' END, 'seed',
       ${starts} - make_interval(days => r), ${starts} - make_interval(days => r) + interval '2 seconds',
       CASE WHEN (i + r) % 50 = 0 THEN 'failed' ELSE 'succeeded' END, 2, 5, 3, 150, 1,
       CASE WHEN (i + r) % 50 = 0 THEN '{"name":"ProviderError","code":"PROVIDER","message":"[scripted] HTTP 503","retryable":true}'::jsonb END
     FROM generate_series($3::int, $4::int) AS i, generate_series(0, $6 - 1) AS r`,
    [PROVIDER, now, from, to - 1, CONNECTION, RUNS_PER_DONE_EVENT],
  );
  // A store of several seasons has been vacuumed by autovacuum long since: so is this one
  // (visibility maps set, statistics current), or the first reads would pay for the bulk load.
  for (const table of ["events", "races", "sync_state", "sync_runs", "event_counts", "connection_events"])
    await client.query(`VACUUM ANALYZE ${s}.${table}`);
}
