import { readFile, writeFile } from "node:fs/promises";
import { connectTestDatabase, createTestSchema, type TestSchema, type TestSqlClient } from "@project88/postgres-store/testing";
import {
  FakeDataset,
  startFakeRunSignup,
  type FakeKey,
  type FakeRunSignup,
  type FakeServerOptions,
} from "@project88/runsignup-adapter/testing";
import { eventually, runCliProcess, spawnCli, writeConfig, type CliChild } from "../../test/support/cli-process.js";
import { diffAgainstFake } from "./expect-fake.js";

/**
 * One test file's world: the fake RunSignUp in this process (it outlives every runner child a
 * test kills), a PostgreSQL schema of its own, a configuration file with compressed schedules,
 * and helpers to run `once` and `start` as real child processes.
 */
export interface Rig {
  readonly fake: FakeRunSignup;
  readonly db: TestSchema;
  readonly sql: TestSqlClient;
  readonly keys: FakeKey[];
  readonly configPath: string;
  readonly env: Record<string, string>;
  /** Rewrites the configuration (merged over the rig's own); the next child reads it. */
  configure(overrides: Record<string, unknown>): Promise<void>;
  /** `project88-sync once` to completion. */
  once(extra?: readonly string[]): ReturnType<typeof runCliProcess>;
  /** `project88-sync start` with debug logs; resolves once its engine has started. */
  start(extra?: readonly string[]): Promise<CliChild>;
  /** Spawns `once` without waiting for anything. */
  spawnOnce(extra?: readonly string[]): CliChild;
  /** The schedule section in force (to change one key with `configure`). */
  schedule(): Promise<Record<string, unknown>>;
  /** Spawns `start` without waiting for anything. */
  spawnStart(extra?: readonly string[]): CliChild;
  /** Differences between the store and the fake (empty: equal). */
  diff(eventIds?: readonly number[]): Promise<string[]>;
  /** Resolves once no event lease and no discovery lease is held by anyone (a dead process's have expired). */
  leasesFree(limitMs?: number): Promise<void>;
  /** `sync_runs` rows by status. */
  runsByStatus(): Promise<Record<string, number>>;
  close(keepSchema?: boolean): Promise<void>;
}

export interface RigOptions {
  readonly prefix: string;
  /** Seeds the fake's dataset (generated fields, `simulateActivity`). */
  readonly seed?: number;
  /** Keys (partners) to create on the fake (default 1). */
  readonly keys?: number;
  readonly fake?: FakeServerOptions;
  /** Extra configuration merged over the default (compressed schedule, short lease and timeout). */
  readonly config?: Record<string, unknown>;
  /** Per-connection settings. */
  readonly connection?: Record<string, unknown>;
}

/** The compressed schedule every reliability test starts from: one tier, every event due every 2 s. */
export const FAST_SCHEDULE = {
  tiers: [{ name: "high", every: "2s" }],
  removalsEveryPassWithin: "400d",
  overlap: "2s",
  backoffBase: "500ms",
  backoffMax: "2s",
};

export async function createRig(options: RigOptions): Promise<Rig> {
  const db = await createTestSchema({ prefix: options.prefix });
  const dataset = new FakeDataset({ seed: options.seed ?? 1 });
  const fake = await startFakeRunSignup({
    dataset,
    limits: { callsPerHour: 1_000_000, maxConcurrent: 2 },
    faultSeed: options.seed,
    ...options.fake,
  });
  const keys = Array.from({ length: options.keys ?? 1 }, (_, i) => fake.dataset.addKey(`Partner ${String.fromCharCode(65 + i)}`));
  const env: Record<string, string> = { DATABASE_URL: db.connectionString };
  const connections = keys.map((k, i) => {
    env[`P${i}_KEY`] = k.apiKey;
    env[`P${i}_SECRET`] = k.apiSecret;
    return {
      id: `partner-${i}`,
      provider: "runsignup",
      apiKey: { env: `P${i}_KEY` },
      apiSecret: { env: `P${i}_SECRET` },
      baseUrl: fake.url,
      callsPerHour: 100_000,
      burst: 1_000,
      maxInFlight: 2,
      ...options.connection,
    };
  });
  const base = {
    schema: db.schema,
    connections,
    schedule: FAST_SCHEDULE,
    engine: { lease: "4s", poll: "200ms" },
    runsignup: { headersTimeout: "3s", bodyTimeout: "3s" },
    http: { port: 0 },
  };
  const file = await writeConfig({ ...base, ...options.config });
  const sql = await reconnecting(db.connectionString);
  const startArgs = (extra: readonly string[]) => [
    "start",
    "--config",
    file.path,
    "--no-migrate",
    "--log-level",
    "debug",
    "--shutdown-timeout",
    "5s",
    ...extra,
  ];
  const rig: Rig = {
    fake,
    db,
    sql,
    keys,
    configPath: file.path,
    env,
    async configure(overrides) {
      await writeFile(file.path, JSON.stringify({ ...base, ...options.config, ...overrides }, null, 2));
    },
    once: (extra = []) => runCliProcess(["once", "--config", file.path, "--no-migrate", "--log-level", "debug", ...extra], env),
    spawnStart: (extra = []) => spawnCli(startArgs(extra), env),
    spawnOnce: (extra = []) => spawnCli(["once", "--config", file.path, "--no-migrate", "--log-level", "debug", ...extra], env),
    async schedule() {
      const current = JSON.parse(await readFile(file.path, "utf8")) as { schedule?: Record<string, unknown> };
      return { ...current.schedule };
    },
    async start(extra = []) {
      const child = spawnCli(startArgs(extra), env);
      await child.waitForLine((l) => l.includes('"engine:start"'));
      return child;
    },
    diff: (eventIds) => diffAgainstFake(sql, db.schema, fake.dataset, eventIds),
    leasesFree: (limitMs = 60_000) =>
      eventually(
        async () => {
          const held = await sql.query<{ n: number }>(
            `SELECT (SELECT count(*) FROM "${db.schema}".sync_state WHERE lease_owner IS NOT NULL AND lease_expires_at > now())
                + (SELECT count(*) FROM "${db.schema}".discovery_runs WHERE status = 'running' AND lease_expires_at > now())::int AS n`,
          );
          return Number(held[0]?.n) === 0;
        },
        "every lease to be free",
        limitMs,
      ),
    async runsByStatus() {
      const rows = await sql.query<{ status: string; n: number }>(
        `SELECT status, count(*)::int AS n FROM "${db.schema}".sync_runs GROUP BY status`,
      );
      return Object.fromEntries(rows.map((r) => [r.status, r.n]));
    },
    async close(keepSchema = false) {
      await sql.end();
      await fake.close();
      await file.remove();
      if (!keepSchema) await db.drop();
    },
  };
  const migrated = await runCliProcess(["migrate", "--config", file.path], env);
  if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.stderr}`);
  return rig;
}

/** Times (ms since the epoch) of a child's JSON log lines with `event`, filtered. */
export function logTimes(
  child: { logs(): Record<string, unknown>[] },
  event: string,
  filter: (line: Record<string, unknown>) => boolean = () => true,
): number[] {
  return child
    .logs()
    .filter((l) => l.event === event && filter(l))
    .map((l) => Number(l.time));
}

/** A test connection that opens a new one when the server dropped it (a PostgreSQL restart). */
async function reconnecting(connectionString: string): Promise<TestSqlClient> {
  let client = await connectTestDatabase(connectionString);
  return {
    async query<Row>(text: string, params?: readonly unknown[]) {
      try {
        return await client.query<Row>(text, params);
      } catch (error) {
        const code = (error as { code?: string }).code;
        // A query error the server reported (a SQLSTATE) is the test's; anything else is the connection.
        if (code !== undefined && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith("57P") && !code.startsWith("08")) throw error;
        await client.end();
        client = await connectTestDatabase(connectionString);
        return client.query<Row>(text, params);
      }
    },
    end: () => client.end(),
  };
}
