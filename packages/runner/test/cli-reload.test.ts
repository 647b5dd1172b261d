import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createPostgresStore, type PostgresStore } from "@project88/postgres-store";
import { createTestSchema, type TestSchema } from "@project88/postgres-store/testing";
import { startFakeRunSignup, type FakeRunSignup } from "@project88/runsignup-adapter/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, killChildren, spawnCli, writeConfig } from "./support/cli-process.js";
import { TEST_ZONES, seasonConnections } from "./support/season.js";

/** JSON lines of a log file (missing file: none). */
async function lines(path: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * `start` in a child process, against the fake RunSignUp and real PostgreSQL, logging to a file:
 * SIGHUP rereads the configuration (connection added, invalid file refused, connection removed)
 * and reopens the log file after it was moved away, as logrotate does.
 */
describe("start reloads its configuration and reopens its log file on SIGHUP", () => {
  let fake: FakeRunSignup;
  let db: TestSchema;
  let store: PostgresStore;
  let dir: Awaited<ReturnType<typeof writeConfig>>;
  let failed = false;

  beforeAll(async () => {
    db = await createTestSchema({ prefix: "runner_reload" });
    fake = await startFakeRunSignup({
      season: {
        seed: 5,
        partners: 2,
        racesPerPartner: 1,
        eventsPerRace: 1,
        registrationsPerEvent: 20,
        timezones: TEST_ZONES,
        startOffsetsHours: [30],
      },
    });
    dir = await writeConfig({});
    store = await createPostgresStore({ connectionString: db.connectionString, schema: db.schema, migrate: false });
  });
  afterAll(async () => {
    killChildren();
    await store?.close();
    await fake?.close();
    await dir?.remove();
    if (!failed) await db?.drop();
  });

  it("adds, refuses, removes; logs ids only; keeps writing after logrotate", async () => {
    const season = seasonConnections(fake);
    const [first, second] = season.connections;
    const configFor = (connections: unknown[], extra: object = {}) =>
      writeFile(dir.path, JSON.stringify({ schema: db.schema, connections, http: { port: 0 }, ...extra }));
    const logFile = join(dir.dir, "logs", "sync.log");
    await configFor([first]);
    const child = spawnCli(
      ["start", "--config", dir.path, "--log-file", logFile],
      { ...season.env, DATABASE_URL: db.connectionString },
      dir.dir,
    );
    const seen = async (test: (l: Record<string, unknown>) => boolean, path = logFile) => (await lines(path)).some(test);
    try {
      await eventually(() => seen((l) => l.event === "sync:finish" && l.connectionId === "partner-0"), "partner-0's first pass");
      expect(child.stdout()).toBe("");

      // Add partner-1: discovered and synced without a restart.
      await configFor([first, second]);
      child.kill("SIGHUP");
      await eventually(
        () => seen((l) => l.event === "config:reloaded" && JSON.stringify(l.added) === '["partner-1"]'),
        "the reload adding partner-1",
      );
      await eventually(
        async () => (await store.listEvents()).some((e) => e.connectionIds.includes("partner-1") && e.state.backfilledAt !== null),
        "partner-1's backfill",
      );

      // An invalid file is refused with its path and problem; nothing changes.
      await configFor([{ ...(first as object), callsPerHour: -1 }, second]);
      child.kill("SIGHUP");
      await eventually(() => seen((l) => l.event === "config:refused"), "the refusal");
      const refused = (await lines(logFile)).find((l) => l.event === "config:refused");
      expect(refused?.path).toBe(dir.path);
      expect(String(refused?.msg)).toContain("connections[0].callsPerHour");
      expect(String(refused?.msg)).toContain("nothing changed");

      // logrotate moves the file away, then signals: the next lines go to a new file at the path.
      await rename(logFile, `${logFile}.1`);
      await configFor([second]);
      child.kill("SIGHUP");
      await eventually(
        () => seen((l) => l.event === "config:reloaded" && JSON.stringify(l.removed) === '["partner-0"]'),
        "the reload removing partner-0 (in the new file)",
      );
      expect(await seen((l) => l.event === "signal:hangup")).toBe(true);
      expect(await seen((l) => l.event === "engine:start", `${logFile}.1`)).toBe(true);
      expect(await seen((l) => l.event === "engine:start")).toBe(false);

      child.kill("SIGTERM");
      expect(await child.exited).toBe(0);
      // The removed connection's data is kept.
      expect((await store.listEvents()).some((e) => e.connectionIds.includes("partner-0"))).toBe(true);
      // Secrets never reach a log line.
      const all = (await readFile(logFile, "utf8")) + (await readFile(`${logFile}.1`, "utf8"));
      for (const value of Object.values(season.env)) expect(all).not.toContain(value);
    } catch (error) {
      failed = true;
      throw new Error(
        `${(error as Error).message}\nstderr:\n${child.stderr().slice(-2000)}\nlog:\n${(await readFile(logFile, "utf8").catch(() => "")).slice(-3000)}`,
      );
    }
  }, 120_000);
});
