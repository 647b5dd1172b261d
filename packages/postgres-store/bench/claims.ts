/**
 * `pnpm bench:claims`: what the scheduler's claim round costs PostgreSQL with many partners on
 * one process. Two stores on real PostgreSQL (TEST_DATABASE_URL, throwaway schemas): 13 and 200
 * connections (BENCH_MANY) of 20 events each, shaped as `bench:many`'s workload (five races of
 * four events: one on the morning, one later that day, three 2-92 days ahead), with a budget per
 * connection and a day of its budget grants at `bench:many`'s rate (120 calls an hour).
 *
 * A round is what `claimRound` asks of the store: `claimDue` naming every connection (all idle,
 * so the room is 2 races per connection, the default `maxInFlight`) and, when it claimed
 * anything, `getBudgets` for every connection's key. Three rounds: nothing due; one race due; every
 * connection's morning race due (13 or 200 races of 4 events). Each round runs alternately on the
 * two stores (the same load on both); figures are medians of BENCH_REPS rounds (default 30): the
 * wall time seen by the process, and the DB time, the serving backend's CPU time
 * (`/proc/<pid>/schedstat` of the store's one pooled connection; PostgreSQL must be local).
 */
import { readFileSync } from "node:fs";
import pg from "pg";
import { createPostgresStore, type PostgresStore } from "@project88/postgres-store";
import { createTestSchema } from "@project88/postgres-store/testing";
import { startRun } from "./run-info.js";

const FEW = 13;
const MANY = Number(process.env.BENCH_MANY ?? 200);
const REPS = Number(process.env.BENCH_REPS ?? 30);
const NOW = new Date("2026-10-31T12:00:00Z");
const PROVIDER = "bench";
const OWNER = "bench-claims";
/** The engine's default in-flight passes per connection: an idle connection has room for 2 races. */
const MAX_IN_FLIGHT = 2;
/** Provider calls per connection-hour in `bench:many` (24,327 an hour over 200 connections). */
const CALLS_PER_HOUR = 120;

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const connectionId = (c: number) => `m${String(c).padStart(3, "0")}`;

/** Connection `m{c}`: races `m{c}-{r}`, r = 0 (the morning) to 4, events `m{c}-{r}-{e}`. */
async function seed(client: pg.Client, s: string, connections: number): Promise<void> {
  const conn = "'m' || lpad((k / 5)::text, 3, '0')";
  await client.query(
    `INSERT INTO ${s}.races (provider, race_id, name, timezone, next_date, raw, first_seen_at, updated_at)
     SELECT $1, ${conn} || '-' || k % 5, 'Race ' || k, 'America/Denver', NULL, '{}', $2, $2
     FROM generate_series(0, $3 * 5 - 1) AS k`,
    [PROVIDER, NOW, connections],
  );
  // Starts: the morning race 0-3 h ahead, the later one 4-20 h, the others 2-92 days.
  const race = "(CASE k % 5 WHEN 0 THEN (k % 3) * 3600 WHEN 1 THEN 14400 + (k % 16) * 3600 ELSE 86400 * (2 + k % 90) END)";
  await client.query(
    `INSERT INTO ${s}.events (provider, event_id, race_id, name, starts_at, ends_at, raw, first_seen_at, updated_at)
     SELECT $1, ${conn} || '-' || k % 5 || '-' || e, ${conn} || '-' || k % 5, 'Event ' || e,
       $2::timestamptz + make_interval(secs => ${race} + e * 900), NULL, '{}', $2, $2
     FROM generate_series(0, $3 * 5 - 1) AS k, generate_series(0, 3) AS e`,
    [PROVIDER, NOW, connections],
  );
  // Nothing due: the morning races in 30 s, the later ones in 10 min, the rest in 1-4 h.
  await client.query(
    `INSERT INTO ${s}.sync_state (provider, event_id, race_id, tier, priority, next_due_at, cursor_at, removals_cursor_at,
       backfilled_at, last_success_at, updated_at)
     SELECT $1, ${conn} || '-' || k % 5 || '-' || e, ${conn} || '-' || k % 5,
       CASE k % 5 WHEN 0 THEN 'high' WHEN 1 THEN 'medium' ELSE 'low' END, least(k % 5, 2) + 1,
       $2::timestamptz + make_interval(secs => CASE k % 5 WHEN 0 THEN 30 WHEN 1 THEN 600 ELSE 3600 * (k % 5 - 1) END + e),
       $2::timestamptz - interval '1 minute', $2::timestamptz - interval '1 minute', $2::timestamptz - interval '30 days',
       $2::timestamptz - interval '1 minute', $2
     FROM generate_series(0, $3 * 5 - 1) AS k, generate_series(0, 3) AS e`,
    [PROVIDER, NOW, connections],
  );
  await client.query(
    `INSERT INTO ${s}.connection_events (connection_id, provider, event_id, first_seen_at, last_seen_at)
     SELECT split_part(event_id, '-', 1), provider, event_id, $1, $1 FROM ${s}.events`,
    [NOW],
  );
  await client.query(
    `INSERT INTO ${s}.budgets (connection_key, tokens, refilled_at, calls_per_hour, burst, max_in_flight, updated_at)
     SELECT 'm' || lpad(c::text, 3, '0'), 10, $1, 980, 20, $3, $1 FROM generate_series(0, $2 - 1) AS c`,
    [NOW, connections, MAX_IN_FLIGHT],
  );
  // A day of grants (what takeBudget keeps), evenly spread.
  await client.query(
    `INSERT INTO ${s}.budget_grants (connection_key, granted_at, owner)
     SELECT 'm' || lpad(c::text, 3, '0'), $1::timestamptz - make_interval(secs => g * 3600.0 / $3), 'bench'
     FROM generate_series(0, $2 - 1) AS c, generate_series(1, 24 * $3) AS g`,
    [NOW, connections, CALLS_PER_HOUR],
  );
  for (const table of ["races", "events", "sync_state", "connection_events", "budgets", "budget_grants"])
    await client.query(`VACUUM ANALYZE ${s}.${table}`);
}

interface Subject {
  readonly connections: number;
  readonly store: PostgresStore;
  readonly client: pg.Client;
  readonly s: string;
  /** The backend serving the store's one pooled connection. */
  readonly pid: number;
  readonly drop: () => Promise<void>;
}

async function openSubject(connections: number): Promise<Subject> {
  const db = await createTestSchema({ prefix: `bench_claims_${connections}` });
  const s = `"${db.schema}"`;
  // One connection, never closed while idle: every store call runs on the backend `pid`.
  const pool = new pg.Pool({ connectionString: db.connectionString, max: 1, idleTimeoutMillis: 0 });
  const store = await createPostgresStore({ pool, schema: db.schema });
  const client = new pg.Client({ connectionString: db.connectionString });
  await client.connect();
  await seed(client, s, connections);
  const pid = (await pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid ?? 0;
  return {
    connections,
    store,
    client,
    s,
    pid,
    async drop() {
      const still = (await pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid;
      if (still !== pid)
        console.log(`warning: the ${connections}-connection store's backend changed (${pid} -> ${still}): DB times are wrong`);
      await client.end();
      await store.close();
      await pool.end();
      // BENCH_KEEP=1 leaves the schemas for EXPLAIN (their names are printed).
      if (process.env.BENCH_KEEP === "1") console.log(`schema kept: ${db.schema}`);
      else await db.drop();
    },
  };
}

/** Nanoseconds the backend has run on a CPU. */
function cpuNs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ")[0]);
}

const ids = (x: Subject) => Array.from({ length: x.connections }, (_, c) => connectionId(c));

/** Makes due (or not) the morning races of the first `n` connections; releases every lease. */
async function setDue(x: Subject, n: number): Promise<void> {
  await x.client.query(
    `UPDATE ${x.s}.sync_state SET lease_owner = NULL, lease_expires_at = NULL,
       next_due_at = CASE WHEN split_part(race_id, '-', 1) < $2 THEN $1::timestamptz - interval '10 seconds'
         ELSE $1::timestamptz + interval '30 seconds' END
     WHERE race_id LIKE '%-0'`,
    [NOW, connectionId(n)],
  );
}

/** One claim round as the scheduler makes it; returns the races claimed. */
async function round(x: Subject): Promise<number> {
  const open = ids(x);
  const claimed = await x.store.claimDue({
    owner: OWNER,
    now: NOW,
    leaseMs: 60_000,
    maxRaces: MAX_IN_FLIGHT * open.length,
    providers: [PROVIDER],
    connectionIds: open,
  });
  if (claimed.length > 0) await x.store.getBudgets({ now: NOW, keys: open });
  return new Set(claimed.map((e) => e.raceId)).size;
}

/** The budgets read alone (every key, as a round that claimed something makes it). */
async function budgetsOnly(x: Subject): Promise<number> {
  await x.store.getBudgets({ now: NOW, keys: ids(x) });
  return 0;
}

const CASES = [
  { name: "nothing due", due: (_: Subject) => 0, run: round },
  { name: "one race due", due: (_: Subject) => 1, run: round },
  { name: "every connection's morning race due", due: (x: Subject) => x.connections, run: round },
  { name: "of which `getBudgets` (every key)", due: (_: Subject) => 0, run: budgetsOnly },
];

async function main(): Promise<void> {
  const run = startRun();
  const subjects = await Promise.all([openSubject(FEW), openSubject(MANY)]);
  try {
    const rows: string[] = [];
    for (const c of CASES) {
      const wall = subjects.map(() => [] as number[]);
      const db = subjects.map(() => [] as number[]);
      const races = subjects.map(() => 0);
      // One untimed round first on each store (plans cached, pages warm).
      for (let i = -1; i < REPS; i++) {
        for (const [k, x] of subjects.entries()) {
          await setDue(x, c.due(x));
          const cpu0 = cpuNs(x.pid);
          const t0 = performance.now();
          races[k] = await c.run(x);
          const t1 = performance.now();
          if (i < 0) continue;
          wall[k]?.push(t1 - t0);
          db[k]?.push((cpuNs(x.pid) - cpu0) / 1e6);
        }
      }
      const [w0 = NaN, w1 = NaN] = wall.map(median);
      const [d0 = NaN, d1 = NaN] = db.map(median);
      rows.push(
        `| ${c.name} | ${races[0]} / ${races[1]} | ${w0.toFixed(1)} | ${d0.toFixed(1)} | ${w1.toFixed(1)} | ${d1.toFixed(1)} | ${(w1 / w0).toFixed(2)}x | ${(d1 / d0).toFixed(2)}x |`,
      );
    }
    const version = (await subjects[0]?.client.query<{ v: string }>("SELECT current_setting('server_version') AS v"))?.rows[0]?.v;
    console.log(`pnpm bench:claims — ${new Date().toISOString()} — PostgreSQL ${version}, Node ${process.version}, ${REPS} rounds each`);
    console.log(
      `${FEW} x 20 and ${MANY} x 20: connections x events; every connection named in every claim (room ${MAX_IN_FLIGHT} races each).`,
    );
    console.log("");
    console.log(
      `| round | races claimed | ${FEW} x 20 wall ms | ${FEW} x 20 DB ms | ${MANY} x 20 wall ms | ${MANY} x 20 DB ms | wall ratio | DB ratio |`,
    );
    console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (const r of rows) console.log(r);
    console.log("");
    console.log(run.footer());
  } finally {
    for (const x of subjects) await x.drop();
  }
}

await main();
