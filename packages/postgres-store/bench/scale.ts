/**
 * `pnpm bench:scale`: does the cost of each hot path stay flat as history grows? Two stores on
 * real PostgreSQL (TEST_DATABASE_URL, throwaway schemas, seeded side by side): the live events
 * plus 1,000 finished ones, and the live events plus enough finished ones for 100,000 events. The
 * live events, their registrations and the working set are the same in both (finished events
 * accrue at a steady rate, so the last week's are the same); only history differs. Each operation
 * runs alternately on the two stores, so the load of a shared machine falls on both alike; each
 * figure is the median, in milliseconds.
 *
 * Environment: BENCH_LIVE (live events, default 500; the size is 2,000),
 * BENCH_REGISTRATIONS (per live event, default 1,000), BENCH_EVENTS (the large store's events,
 * default 100,000), BENCH_SMALL_DONE (the small store's finished events, default 1,000).
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
import { startRun } from "./run-info.js";
import { CONNECTION, PROVIDER, seedDone, seedLive } from "./scale-seed.js";

const LIVE = Number(process.env.BENCH_LIVE ?? 500);
const REGISTRATIONS = Number(process.env.BENCH_REGISTRATIONS ?? 1_000);
const LARGE = Number(process.env.BENCH_EVENTS ?? 100_000);
const SMALL_DONE = Number(process.env.BENCH_SMALL_DONE ?? 1_000);
const NOW = new Date("2026-06-06T14:00:00Z");
const OWNER = "bench";
const DISCOVERY_RACES = 5_000;

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

function liveRefs(race: number): EventRef[] {
  return [`L${race}-a`, `L${race}-b`].map((eventId) => ({ provider: PROVIDER, eventId }));
}

function registration(race: number, n: number, modifiedAt: Date): Registration {
  const eventIndex = race * 2;
  return {
    provider: PROVIDER,
    registrationId: String(eventIndex * REGISTRATIONS + n),
    raceId: `L${race}`,
    eventId: `L${race}-a`,
    userId: String(2_000_000 + eventIndex * REGISTRATIONS + n),
    firstName: "Ada",
    lastName: `Runner${n}`,
    gender: n % 2 === 0 ? "F" : "M",
    dob: "1990-01-01",
    age: 36,
    bib: String(n + 1),
    chip: null,
    email: `runner${n}@example.test`,
    phone: null,
    city: "Boulder",
    state: "CO",
    country: "US",
    teamName: null,
    registeredAt: new Date(NOW.getTime() - 60 * 86_400_000),
    modifiedAt,
    raw: { registration_id: n, bib_num: n + 1 },
  };
}

function discoveryRaces(): Race[] {
  return Array.from({ length: DISCOVERY_RACES }, (_, k) => ({
    provider: PROVIDER,
    raceId: `X${k}`,
    name: `Upcoming race ${k}`,
    timezone: "America/Chicago",
    nextDate: "2026-09-01",
    raw: { race_id: k },
    events: [
      {
        provider: PROVIDER,
        eventId: `X${k}`,
        raceId: `X${k}`,
        name: "5K",
        startsAt: new Date(NOW.getTime() + (30 + (k % 300)) * 86_400_000),
        endsAt: null,
        raw: { event_id: k },
      },
    ],
  }));
}

/** One store under test, with its engine and HTTP server. */
interface Subject {
  readonly store: PostgresStore;
  readonly client: pg.Client;
  readonly s: string;
  readonly makeEngine: () => SyncEngine;
  readonly engine: SyncEngine;
  readonly url: string;
  readonly close: () => Promise<void>;
}

async function openSubject(prefix: string, doneEvents: number): Promise<Subject & { seedS: number; drop: () => Promise<void> }> {
  const db = await createTestSchema({ prefix });
  const s = `"${db.schema}"`;
  const store = await createPostgresStore({ connectionString: db.connectionString, schema: db.schema, poolSize: 4 });
  const client = new pg.Client({ connectionString: db.connectionString });
  await client.connect();
  const started = performance.now();
  await seedLive(client, s, NOW, LIVE, REGISTRATIONS);
  await client.query(`VACUUM ANALYZE ${s}.registrations`);
  for (let from = 0; from < doneEvents; from += 20_000) await seedDone(client, s, NOW, from, Math.min(doneEvents, from + 20_000));
  const seedS = (performance.now() - started) / 1000;
  const clock = new ManualClock(NOW);
  const makeEngine = () =>
    createSyncEngine({
      adapters: [createScriptedAdapter({ clock })],
      store,
      clock,
      owner: "bench-engine",
      connections: [{ id: CONNECTION, provider: PROVIDER, credentials: { key: secret("bench") } }],
    });
  const engine = makeEngine();
  const server = await startHttpServer({
    port: 0,
    host: "127.0.0.1",
    status: () => engine.status(),
    ready: async () => {
      // Ready as far as the database goes: the bench never starts the engine's loop.
      await engine.ready();
      return true;
    },
    metrics: createMetrics(),
    errors: createErrorLog(),
    tierOrder: ["high", "medium", "low", "done"],
  });
  return {
    store,
    client,
    s,
    makeEngine,
    engine,
    url: server.url,
    seedS,
    close: () => server.close(),
    async drop() {
      await server.close();
      await client.end();
      await store.close();
      // BENCH_KEEP=1 leaves the schemas for EXPLAIN (their names are printed).
      if (process.env.BENCH_KEEP === "1") console.log(`schema kept: ${db.schema}`);
      else await db.drop();
    },
  };
}

/** One measured operation: an optional untimed setup and teardown around the timed body. */
interface Operation {
  readonly name: string;
  readonly reps: number;
  readonly setup?: (x: Subject, i: number) => Promise<unknown>;
  readonly body: (x: Subject, i: number) => Promise<unknown>;
  readonly teardown?: (x: Subject, i: number) => Promise<unknown>;
}

async function get(x: Subject, path: string): Promise<void> {
  const res = await fetch(new URL(path, x.url));
  await res.text();
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
}

const races = LIVE / 2;
const releaseAll = (x: Subject) =>
  x.client.query(`UPDATE ${x.s}.sync_state SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = $1`, [OWNER]);
let runIds = new Map<Subject, string>();
const page = (i: number) =>
  Array.from({ length: 500 }, (_, n) => registration(i % races, n, new Date(NOW.getTime() + (n % 10 === 0 ? i + 1 : -86_400_000 * 400))));
const discovery = discoveryRaces();
const save = (x: Subject) =>
  x.store.saveDiscovery({ connectionId: CONNECTION, provider: PROVIDER, races: discovery, now: NOW, newEventPriority: 0 });

const OPERATIONS: Operation[] = [
  {
    name: "claim round (claimDue, up to 4 races)",
    reps: 15,
    body: (x) =>
      x.store.claimDue({ owner: OWNER, now: NOW, leaseMs: 60_000, maxRaces: 4, providers: [PROVIDER], connectionIds: [CONNECTION] }),
    teardown: releaseAll,
  },
  {
    name: "lease renewal (one race)",
    reps: 40,
    setup: (x) => x.store.claimEvents({ owner: OWNER, now: NOW, leaseMs: 60_000, refs: liveRefs(0) }),
    body: (x) => x.store.renewLeases({ owner: OWNER, now: NOW, leaseMs: 60_000, refs: liveRefs(0) }),
    teardown: releaseAll,
  },
  {
    name: "page commit (500 rows, 50 changed, last page of a pass)",
    reps: 10,
    async setup(x, i) {
      await x.store.claimEvents({ owner: OWNER, now: NOW, leaseMs: 60_000, refs: liveRefs(i % races) });
      const eventIds = liveRefs(i % races).map((r) => r.eventId);
      runIds.set(
        x,
        await x.store.startRun({
          owner: OWNER,
          now: NOW,
          connectionId: CONNECTION,
          provider: PROVIDER,
          raceId: `L${i % races}`,
          eventIds,
          kind: "incremental",
        }),
      );
    },
    body: (x, i) =>
      x.store.commitPage({
        owner: OWNER,
        now: NOW,
        runId: runIds.get(x) ?? "",
        provider: PROVIDER,
        eventIds: liveRefs(i % races).map((r) => r.eventId),
        registrations: page(i),
        finish: { apiCalls: 1, states: [] },
      }),
    teardown: releaseAll,
  },
  { name: "status, first call of an engine (totals read too, as `status --json`)", reps: 9, body: (x) => x.makeEngine().status() },
  { name: "status (engine.status(), totals cached)", reps: 9, body: (x) => x.engine.status() },
  { name: "plan (engine.plan(24))", reps: 3, body: (x) => x.engine.plan(24) },
  { name: "/readyz", reps: 40, body: (x) => get(x, "/readyz") },
  { name: "/metrics (snapshot fresh)", reps: 40, body: (x) => get(x, "/metrics") },
  { name: "/status (snapshot fresh)", reps: 20, body: (x) => get(x, "/status") },
  { name: "discovery save, 5,000 new races", reps: 1, body: save },
  { name: "discovery save, 5,000 known races", reps: 3, body: save },
];

/** Takes the discovered races out again. */
async function undoDiscovery(x: Subject): Promise<void> {
  for (const table of ["sync_state", "connection_events", "event_counts", "events", "races"]) {
    const column = table === "races" ? "race_id" : "event_id";
    await x.client.query(`DELETE FROM ${x.s}.${table} WHERE provider = $1 AND ${column} LIKE 'X%'`, [PROVIDER]);
  }
}

/** Runs every operation alternately on the subjects; returns the median per operation and subject. */
async function measure(subjects: readonly Subject[]): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const op of OPERATIONS) {
    const samples = subjects.map(() => [] as number[]);
    for (let i = 0; i < op.reps; i++) {
      for (const [k, x] of subjects.entries()) {
        await op.setup?.(x, i);
        const started = performance.now();
        await op.body(x, i);
        samples[k]?.push(performance.now() - started);
        await op.teardown?.(x, i);
      }
    }
    out.set(op.name, samples.map(median));
  }
  for (const x of subjects) await undoDiscovery(x);
  return out;
}

async function main(): Promise<void> {
  const run = startRun();
  // Seeded side by side: each store's load is mostly PostgreSQL writing its own tables.
  const [small, large] = await Promise.all([openSubject("bench_scale_small", SMALL_DONE), openSubject("bench_scale_large", LARGE - LIVE)]);
  try {
    // One untimed round first, so neither size is charged for JIT and cold caches.
    await measure([small, large]);
    runIds = new Map();
    const figures = await measure([small, large]);
    const counts = (
      await large.client.query<{ events: number; small: number; registrations: number; runs: number; working: number }>(
        `SELECT (SELECT count(*)::int FROM ${large.s}.events) AS events, (SELECT count(*)::int FROM ${small.s}.events) AS small,
         (SELECT count(*)::int FROM ${large.s}.registrations) AS registrations,
         (SELECT count(*)::int FROM ${large.s}.sync_runs) AS runs, (SELECT count(*)::int FROM ${large.s}.sync_state WHERE next_due_at IS NOT NULL) AS working`,
      )
    ).rows[0];
    const version = (await large.client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v;
    const [ws1, ws2] = [(await small.makeEngine().status()).events.length, (await large.makeEngine().status()).events.length];
    const fmt = (n: number | undefined) => (n ?? 0).toLocaleString("en-US");
    console.log(`pnpm bench:scale — ${new Date().toISOString()} — PostgreSQL ${version}, Node ${process.version}`);
    console.log(
      `${fmt(LIVE)} live events x ${fmt(REGISTRATIONS)} registrations (${fmt(counts?.registrations)} rows) in each store; the small one ` +
        `holds ${fmt(counts?.small)} events (${fmt(SMALL_DONE)} finished), the large one ${fmt(counts?.events)} events and ${fmt(counts?.runs)} runs. ` +
        `Working set ${ws1} / ${ws2} events (${counts?.working} not done). ` +
        `Seeding, side by side: ${small.seedS.toFixed(1)} s small, ${large.seedS.toFixed(1)} s large.`,
    );
    console.log("");
    console.log(`| operation | ${fmt(counts?.small)} events (ms) | ${fmt(counts?.events)} events (ms) | ratio |`);
    console.log("|---|---:|---:|---:|");
    for (const [op, [a = NaN, b = NaN] = []] of figures)
      console.log(`| ${op} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${(b / a).toFixed(2)}x |`);
    console.log("");
    console.log(run.footer());
  } finally {
    await small.drop();
    await large.drop();
  }
}

await main();
