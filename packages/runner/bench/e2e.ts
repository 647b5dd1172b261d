/**
 * `pnpm bench:e2e`: the end-to-end benchmark (issue 9, section 7). The built CLI
 * (`packages/runner/dist/cli.js`, so `pnpm build` first: the script does it) against the fake
 * RunSignUp over loopback and the local PostgreSQL (TEST_DATABASE_URL), in a schema of its own.
 * Prints figures; asserts nothing. Sizes: BENCH_REGISTRATIONS (50,000), BENCH_MINUTES (5),
 * BENCH_ORIGIN_ROWS (the origin-way run, default all of them), BENCH_PARTS (e.g. "ab"),
 * BENCH_BACKFILL_WAIT_S (how long (c)/(d) wait for every backfill before the window, 300).
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connectTestDatabase, createTestSchema, type TestSchema, type TestSqlClient } from "@project88/postgres-store/testing";
import { createRng, startFakeRunSignup, type FakeKey, type FakeRunSignup } from "@project88/runsignup-adapter/testing";
import { originBackfill } from "./origin-backfill.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CLI = join(ROOT, "packages/runner/dist/cli.js");
const N = Number(process.env.BENCH_REGISTRATIONS ?? 50_000);
const MINUTES = Number(process.env.BENCH_MINUTES ?? 5);
const PARTS = process.env.BENCH_PARTS ?? "abcd";
const SEED = Number(process.env.SEED ?? 20_261_202);
const BACKFILL_WAIT_MS = Number(process.env.BENCH_BACKFILL_WAIT_S ?? 300) * 1000;
const HOUR = 3_600_000;

interface World {
  fake: FakeRunSignup;
  key: FakeKey;
  db: TestSchema;
  sql: TestSqlClient;
  config: string;
  env: Record<string, string>;
  close(): Promise<void>;
}

async function world(name: string, callsPerHour?: number): Promise<World> {
  const db = await createTestSchema({ prefix: `bench_e2e_${name}` });
  const fake = await startFakeRunSignup({ faultSeed: SEED });
  const key = fake.dataset.addKey("Bench Partner");
  const dir = await mkdtemp(join(tmpdir(), "p88-bench-"));
  const config = join(dir, "config.json");
  const connection = {
    id: "bench",
    provider: "runsignup",
    apiKey: { env: "BENCH_KEY" },
    apiSecret: { env: "BENCH_SECRET" },
    baseUrl: fake.url,
    ...(callsPerHour ? { callsPerHour } : {}),
  };
  await writeFile(config, JSON.stringify({ schema: db.schema, connections: [connection], http: { port: 0 } }));
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    DATABASE_URL: db.connectionString,
    BENCH_KEY: key.apiKey,
    BENCH_SECRET: key.apiSecret,
  };
  const sql = await connectTestDatabase(db.connectionString);
  await runCli(["migrate", "--config", config], env);
  return {
    fake,
    key,
    db,
    sql,
    config,
    env,
    async close() {
      await sql.end();
      await fake.close();
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Runs the built CLI under /usr/bin/time -v; returns its exit code and peak RSS (MiB). */
function runCli(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number | null; peakRssMiB: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn("/usr/bin/time", ["-v", process.execPath, CLI, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.on("exit", (code) => {
      const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
      resolve({ code, peakRssMiB: kb ? Math.round(Number(kb[1]) / 1024) : null, stdout: out });
    });
  });
}

function spawnStart(w: World) {
  return spawn(process.execPath, [CLI, "start", "--config", w.config, "--no-migrate", "--log-level", "warn"], {
    env: w.env,
    stdio: "ignore",
  });
}

const pct = (sorted: readonly number[], p: number) =>
  sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function backfill(): Promise<void> {
  const w = await world("a");
  const race = w.fake.dataset.addRace({
    keys: [w.key],
    timezone: "America/Chicago",
    name: "Big City Marathon",
    events: [{ startsAt: new Date(Date.now() + 30 * 24 * HOUR) }],
  });
  const eventId = race.events[0]!.eventId;
  for (let i = 0; i < N; i++) w.fake.dataset.create(eventId, {}, new Date(Date.now() - 86_400_000));
  const t0 = performance.now();
  const r = await runCli(["once", "--config", w.config, "--no-migrate", "--log-level", "warn"], w.env);
  const seconds = (performance.now() - t0) / 1000;
  const participants = w.fake.calls.filter((c) => c.endpoint === "participants");
  const stored = (await w.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${w.db.schema}".registrations`))[0]!.n;
  // The `once` did a discovery and the backfill (participants, then the removal feed), and, as
  // after every backfill that was not resumed, no separate reconciliation: the backfill is one.
  console.log(
    `(a) full backfill of one ${N.toLocaleString("en-US")}-registration race with the built CLI (once, including start-up and discovery)`,
  );
  console.log(
    `    exit ${r.code}; wall ${seconds.toFixed(1)} s; participants calls ${participants.length} (expected ${Math.ceil(N / 2500)} at 2,500 a page); all calls ${w.fake.calls.length}; rows stored ${stored}; ${Math.round(stored / seconds)} rows/s; peak RSS ${r.peakRssMiB} MiB`,
  );
  if (PARTS.includes("b")) {
    const rows = Number(process.env.BENCH_ORIGIN_ROWS ?? N);
    const o = await originBackfill(w.fake, w.key, race.raceId, eventId, w.sql, w.db.schema, rows);
    console.log(
      `(b) the origin system's way: pages of 1,000, each row SELECTed then INSERTed on its own (autocommit), ${rows.toLocaleString("en-US")} rows`,
    );
    console.log(
      `    wall ${o.seconds.toFixed(1)} s; data calls ${o.calls}; ${Math.round(o.rows / o.seconds)} rows/s; ratio to (a): ${((o.seconds / seconds) * (N / rows)).toFixed(1)}x slower per row`,
    );
  }
  await w.close();
}

/** (c)/(d): races with one high-tier event each, registrations changed at random moments. */
async function freshness(label: string, races: number): Promise<void> {
  const w = await world(label);
  const rng = createRng(SEED);
  const events: number[] = [];
  for (let r = 0; r < races; r++) {
    const race = w.fake.dataset.addRace({
      keys: [w.key],
      timezone: "America/Denver",
      name: `Race ${r}`,
      events: [{ startsAt: new Date(Date.now() + (2 * HOUR + r * 60_000)) }],
    });
    events.push(race.events[0]!.eventId);
    for (let i = 0; i < 300; i++) w.fake.dataset.create(race.events[0]!.eventId, {}, new Date(Date.now() - 86_400_000));
  }
  const child = spawnStart(w);
  // Wait for every backfill, then measure from a clean state. The wait is bounded: where the
  // budget binds, a backfill that never gets a lane must show as a race that fell behind, not
  // keep the window from opening.
  const started = Date.now();
  // Events not backfilled yet: every race's, until discovery has stored them.
  const notBackfilled = async () => {
    const rows = await w.sql.query<{ id: string }>(
      `SELECT event_id AS id FROM "${w.db.schema}".sync_state WHERE backfilled_at IS NOT NULL`,
    );
    const done = new Set(rows.map((r) => Number(r.id)));
    return events.filter((e) => !done.has(e));
  };
  let missing = await notBackfilled();
  while (missing.length > 0 && Date.now() - started < BACKFILL_WAIT_MS) {
    await sleep(500);
    missing = await notBackfilled();
  }
  const waitedS = (Date.now() - started) / 1000;
  const backfilledBefore = races - missing.length;
  const callsBefore = w.fake.calls.length;
  const changes: { id: number; at: number; kind: "new" | "changed"; event: number }[] = [];
  const touched = new Set<number>();
  const end = Date.now() + MINUTES * 60_000;
  while (Date.now() < end) {
    // Poisson arrivals, one change every 2 s on average, on rows not changed before.
    await sleep(-Math.log(1 - rng.next()) * 2_000);
    const event = events[rng.int(0, events.length - 1)]!;
    if (rng.chance(0.5)) {
      const reg = w.fake.dataset.register(event);
      changes.push({ id: reg.registrationId, at: Date.now(), kind: "new", event });
    } else {
      const active = w.fake.dataset.activeOf(event).filter((r) => !touched.has(r.registrationId));
      const reg = active[rng.int(0, active.length - 1)]!;
      touched.add(reg.registrationId);
      w.fake.dataset.modify(reg.registrationId);
      changes.push({ id: reg.registrationId, at: Date.now(), kind: "changed", event });
    }
  }
  // Let the last changes arrive (at most 3 minutes).
  const settleBy = Date.now() + 3 * 60_000;
  const delivered = async () => {
    const rows = await w.sql.query<{ id: string; first_seen_at: Date; updated_at: Date; modified_at: Date }>(
      `SELECT registration_id AS id, first_seen_at, updated_at, modified_at FROM "${w.db.schema}".registrations WHERE registration_id = ANY($1::text[])`,
      [changes.map((c) => String(c.id))],
    );
    const byId = new Map(rows.map((r) => [Number(r.id), r]));
    return changes.map((c) => {
      const row = byId.get(c.id);
      if (row === undefined) return null;
      if (c.kind === "new") return new Date(row.first_seen_at).getTime() - c.at;
      // A change is delivered when the stored modified_at is the change's (whole seconds).
      return new Date(row.modified_at).getTime() >= Math.floor(c.at / 1000) * 1000 ? new Date(row.updated_at).getTime() - c.at : null;
    });
  };
  let latencies = await delivered();
  while (latencies.some((l) => l === null) && Date.now() < settleBy) {
    await sleep(2_000);
    latencies = await delivered();
  }
  const missingAtEnd = new Set(await notBackfilled());
  child.kill("SIGTERM");
  await new Promise((r) => child.on("exit", r));
  const calls = w.fake.calls.length - callsBefore;
  const got = latencies.filter((l): l is number => l !== null).sort((a, b) => a - b);
  const s = (ms: number | null) => (ms === null ? "-" : `${(ms / 1000).toFixed(1)} s`);
  console.log(
    `(${label}) freshness: ${races} races, one high-tier event each, one connection (1,000 calls/h), ${MINUTES} min of changes (${changes.length})`,
  );
  console.log(
    `    backfilled before the window: ${backfilledBefore}/${races} after ${waitedS.toFixed(0)} s; never backfilled by the end: ${missingAtEnd.size === 0 ? "none" : events.flatMap((e, i) => (missingAtEnd.has(e) ? [`race ${i}`] : [])).join(", ")}`,
  );
  console.log(
    `    change at the fake -> row committed: p50 ${s(pct(got, 50))}, p95 ${s(pct(got, 95))}, p99 ${s(pct(got, 99))}, max ${s(got.at(-1) ?? null)}; delivered ${got.length}/${changes.length}; API calls ${calls} (${(calls / Math.max(1, got.length)).toFixed(2)} per change delivered)`,
  );
  const perEvent = events.map((e, i) => {
    const l = changes.map((c, k) => (c.event === e ? latencies[k] : undefined)).filter((x): x is number | null => x !== undefined);
    const ok = l.filter((x): x is number => x !== null).sort((a, b) => a - b);
    return { race: i, p95: pct(ok, 95), delivered: ok.length, undelivered: l.filter((x) => x === null).length };
  });
  const behind = perEvent.filter((p) => p.undelivered > 0 || (p.p95 ?? 0) > 120_000);
  console.log(
    `    races that fell behind (p95 over 2 min or a change undelivered): ${behind.length === 0 ? "none" : behind.map((b) => `race ${b.race} (p95 ${s(b.p95)}, delivered ${b.delivered}, undelivered ${b.undelivered})`).join(", ")}`,
  );
  await w.close();
}

async function main(): Promise<void> {
  console.log(`bench:e2e on ${new Date().toISOString()}, Node ${process.version}, seed ${SEED}`);
  if (PARTS.includes("a")) await backfill();
  if (PARTS.includes("c")) await freshness("c", 10);
  if (PARTS.includes("d")) await freshness("d", 30);
}

await main();
