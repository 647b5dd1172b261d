/**
 * `pnpm bench:scale`: does the cost of each hot path stay flat as history grows? One store on
 * real PostgreSQL (TEST_DATABASE_URL, a throwaway schema), measured twice: at 1,000 events (the
 * live events plus the first finished ones) and again after history is added up to 100,000
 * events. The live events, their registrations and the working set are the same at both sizes
 * (finished events accrue at a steady rate, so the last week's are the same); only history grows.
 * Each figure is the median of several runs, in milliseconds.
 *
 * Environment: BENCH_LIVE (live events, default 500), BENCH_REGISTRATIONS (per live event,
 * default 1,000), BENCH_EVENTS (the large size, default 100,000).
 */
import pg from "pg";
import { createSyncEngine, secret, type EventRef, type Race, type Registration, type SyncEngine } from "@project88/core";
import { createScriptedAdapter, ManualClock } from "@project88/core/testing";
import { createPostgresStore, type PostgresStore } from "@project88/postgres-store";
import { createTestSchema } from "@project88/postgres-store/testing";
// The runner's HTTP server and metrics, from source: the bench measures what `start` serves.
import { createErrorLog } from "../../runner/src/error-log.js";
import { startHttpServer } from "../../runner/src/http.js";
import { createMetrics } from "../../runner/src/metrics.js";
import { CONNECTION, PROVIDER, seedDone, seedLive } from "./scale-seed.js";

const LIVE = Number(process.env.BENCH_LIVE ?? 500);
const REGISTRATIONS = Number(process.env.BENCH_REGISTRATIONS ?? 1_000);
const LARGE = Number(process.env.BENCH_EVENTS ?? 100_000);
const SMALL = 1_000;
const NOW = new Date("2026-06-06T14:00:00Z");
const OWNER = "bench";
const DISCOVERY_RACES = 5_000;

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

async function time(reps: number, body: (i: number) => Promise<unknown>, setup?: (i: number) => Promise<unknown>, teardown?: (i: number) => Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    await setup?.(i);
    const started = performance.now();
    await body(i);
    ms.push(performance.now() - started);
    await teardown?.(i);
  }
  return median(ms);
}

function liveRefs(race: number): EventRef[] {
  return [`L${race}-a`, `L${race}-b`].map((eventId) => ({ provider: PROVIDER, eventId }));
}

function registration(race: number, n: number, modifiedAt: Date): Registration {
  const eventIndex = race * 2;
  return {
    provider: PROVIDER, registrationId: String(eventIndex * REGISTRATIONS + n), raceId: `L${race}`, eventId: `L${race}-a`,
    userId: String(2_000_000 + eventIndex * REGISTRATIONS + n), firstName: "Ada", lastName: `Runner${n}`, gender: n % 2 === 0 ? "F" : "M",
    dob: "1990-01-01", age: 36, bib: String(n + 1), chip: null, email: `runner${n}@example.test`, phone: null, city: "Boulder", state: "CO",
    country: "US", teamName: null, registeredAt: new Date(NOW.getTime() - 60 * 86_400_000), modifiedAt, raw: { registration_id: n, bib_num: n + 1 },
  };
}

function discoveryRaces(): Race[] {
  return Array.from({ length: DISCOVERY_RACES }, (_, k) => ({
    provider: PROVIDER, raceId: `X${k}`, name: `Upcoming race ${k}`, timezone: "America/Chicago", nextDate: "2026-09-01", raw: { race_id: k },
    events: [{ provider: PROVIDER, eventId: `X${k}`, raceId: `X${k}`, name: "5K", startsAt: new Date(NOW.getTime() + (30 + (k % 300)) * 86_400_000), endsAt: null, raw: { event_id: k } }],
  }));
}

interface Figures {
  readonly [operation: string]: number;
}

async function measure(store: PostgresStore, makeEngine: () => SyncEngine, client: pg.Client, schema: string): Promise<Figures> {
  const engine = makeEngine();
  const f: Record<string, number> = {};
  const races = LIVE / 2;
  f["claim round (claimDue, 4 races)"] = await time(
    15,
    () => store.claimDue({ owner: OWNER, now: NOW, leaseMs: 60_000, maxRaces: 4, providers: [PROVIDER], connectionIds: [CONNECTION] }),
    undefined,
    async () => {
      await client.query(`UPDATE ${schema}.sync_state SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = $1`, [OWNER]);
    },
  );
  await store.claimEvents({ owner: OWNER, now: NOW, leaseMs: 60_000, refs: liveRefs(0) });
  f["lease renewal (one race)"] = await time(20, () => store.renewLeases({ owner: OWNER, now: NOW, leaseMs: 60_000, refs: liveRefs(0) }));
  await store.releaseLeases({ owner: OWNER, now: NOW, refs: liveRefs(0) });
  let runId = "";
  const page = (i: number) => Array.from({ length: 500 }, (_, n) => registration(i % races, n, new Date(NOW.getTime() + (n % 10 === 0 ? i + 1 : -86_400_000 * 400))));
  f["page commit (500 rows, 50 changed, last page)"] = await time(
    10,
    (i) => store.commitPage({ owner: OWNER, now: NOW, runId, provider: PROVIDER, eventIds: ["a", "b"].map((x) => `L${i % races}-${x}`), registrations: page(i), finish: { apiCalls: 1, states: [] } }),
    async (i) => {
      await store.claimEvents({ owner: OWNER, now: NOW, leaseMs: 60_000, refs: liveRefs(i % races) });
      runId = await store.startRun({ owner: OWNER, now: NOW, connectionId: CONNECTION, provider: PROVIDER, raceId: `L${i % races}`, eventIds: ["a", "b"].map((x) => `L${i % races}-${x}`), kind: "incremental" });
    },
  );
  // Put the events back as due, as the seed had them (the finish cleared nothing the claims use).
  await client.query(`UPDATE ${schema}.sync_state SET lease_owner = NULL, lease_expires_at = NULL WHERE provider = $1 AND event_id LIKE 'L%'`, [PROVIDER]);
  f["status, first call (totals read too, as `status --json`)"] = await time(3, () => makeEngine().status());
  f["status (engine.status(), totals cached)"] = await time(5, () => engine.status());
  f["plan (engine.plan(24))"] = await time(3, () => engine.plan(24));

  const server = await startHttpServer({
    port: 0, host: "127.0.0.1", status: () => engine.status(), ready: async () => (await engine.ready(), true),
    metrics: createMetrics(), errors: createErrorLog(), tierOrder: ["high", "medium", "low", "done"],
  });
  try {
    const get = async (path: string) => {
      const res = await fetch(new URL(path, server.url));
      await res.text();
      if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
    };
    f["/readyz"] = await time(20, () => get("/readyz"));
    f["/metrics, first scrape (reads the snapshot)"] = await time(1, () => get("/metrics"));
    f["/metrics (from the snapshot)"] = await time(20, () => get("/metrics"));
    f["/status (from the snapshot)"] = await time(20, () => get("/status"));
  } finally {
    await server.close();
  }

  const discovery = discoveryRaces();
  f["discovery save, 5,000 new races"] = await time(1, () => store.saveDiscovery({ connectionId: CONNECTION, provider: PROVIDER, races: discovery, now: NOW, newEventPriority: 0 }));
  f["discovery save, 5,000 known races"] = await time(3, () => store.saveDiscovery({ connectionId: CONNECTION, provider: PROVIDER, races: discovery, now: NOW, newEventPriority: 0 }));
  // Take the discovered races out again so the next size measures the same working set.
  for (const table of ["sync_state", "connection_events", "event_counts", "events", "races"]) {
    const column = table === "races" ? "race_id" : "event_id";
    await client.query(`DELETE FROM ${schema}.${table} WHERE provider = $1 AND ${column} LIKE 'X%'`, [PROVIDER]);
  }
  return f;
}

async function main(): Promise<void> {
  const db = await createTestSchema({ prefix: "bench_scale" });
  const s = `"${db.schema}"`;
  const store = await createPostgresStore({ connectionString: db.connectionString, schema: db.schema, poolSize: 4 });
  const client = new pg.Client({ connectionString: db.connectionString });
  await client.connect();
  const clock = new ManualClock(NOW);
  const makeEngine = () =>
    createSyncEngine({
      adapters: [createScriptedAdapter({ clock })], store, clock, owner: "bench-engine",
      connections: [{ id: CONNECTION, provider: PROVIDER, credentials: { key: secret("bench") } }],
    });
  try {
    let started = performance.now();
    await seedLive(client, s, NOW, LIVE, REGISTRATIONS);
    await client.query(`ANALYZE ${s}.registrations`);
    await seedDone(client, s, NOW, 0, SMALL - LIVE);
    const seedLiveS = (performance.now() - started) / 1000;
    // One untimed round first, so the small size is not charged for JIT and cold caches.
    await measure(store, makeEngine, client, s);
    const small = await measure(store, makeEngine, client, s);
    started = performance.now();
    await seedDone(client, s, NOW, SMALL - LIVE, LARGE - LIVE);
    const seedHistoryS = (performance.now() - started) / 1000;
    const large = await measure(store, makeEngine, client, s);

    const counts = (await client.query<{ events: number; registrations: number; runs: number; working: number }>(
      `SELECT (SELECT count(*)::int FROM ${s}.events) AS events, (SELECT count(*)::int FROM ${s}.registrations) AS registrations,
         (SELECT count(*)::int FROM ${s}.sync_runs) AS runs, (SELECT count(*)::int FROM ${s}.sync_state WHERE next_due_at IS NOT NULL) AS working`,
    )).rows[0];
    const version = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v;
    const status = await makeEngine().status();
    console.log(`pnpm bench:scale — ${new Date().toISOString()} — PostgreSQL ${version}, Node ${process.version}`);
    console.log(
      `${LIVE} live events x ${REGISTRATIONS} registrations (${counts?.registrations.toLocaleString("en-US")} rows), ` +
        `${counts?.events.toLocaleString("en-US")} events and ${counts?.runs.toLocaleString("en-US")} runs at the large size; ` +
        `working set ${status.events.length} events (${counts?.working} not done). Seeding: ${seedLiveS.toFixed(1)} s live + first history, ${seedHistoryS.toFixed(1)} s the rest.`,
    );
    console.log("");
    console.log(`| operation | ${SMALL.toLocaleString("en-US")} events (ms) | ${LARGE.toLocaleString("en-US")} events (ms) | ratio |`);
    console.log("|---|---:|---:|---:|");
    for (const [op, a] of Object.entries(small)) {
      const b = large[op] ?? NaN;
      console.log(`| ${op} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${(b / a).toFixed(2)}x |`);
    }
  } finally {
    await client.end();
    await store.close();
    // BENCH_KEEP=1 leaves the schema for EXPLAIN (its name is printed).
    if (process.env.BENCH_KEEP === "1") console.log(`schema kept: ${db.schema}`);
    else await db.drop();
  }
}

await main();
