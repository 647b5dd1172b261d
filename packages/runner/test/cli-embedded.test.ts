import { stat } from "node:fs/promises";
import { join } from "node:path";
import { startFakeRunSignup, type FakeRunSignup } from "@project88/runsignup-adapter/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliProcess, writeConfig } from "./support/cli-process.js";
import { seasonConnections } from "./support/season.js";

describe("without a database URL", () => {
  let fake: FakeRunSignup;
  let config: Awaited<ReturnType<typeof writeConfig>>;
  let env: Record<string, string>;

  beforeAll(async () => {
    fake = await startFakeRunSignup({ season: { seed: 4, partners: 1, racesPerPartner: 2, eventsPerRace: 1, registrationsPerEvent: 50 } });
    const season = seasonConnections(fake);
    config = await writeConfig({ connections: season.connections });
    env = season.env;
  });
  afterAll(async () => {
    await fake?.close();
    await config?.remove();
  });

  it("once uses the embedded PGlite database under ./.project88-sync/ and says so; status reads it back", async () => {
    const once = await runCliProcess(["once", "--config", config.path], env, config.dir);
    expect(once.stderr).toBe("");
    expect(once.code).toBe(0);
    expect(once.logs.some((l) => String(l.msg).includes(`embedded PGlite database under ${join(config.dir, ".project88-sync")}`))).toBe(
      true,
    );
    expect((await stat(join(config.dir, ".project88-sync", "pgdata"))).isDirectory()).toBe(true);
    const status = await runCliProcess(["status", "--json", "--config", config.path], env, config.dir);
    expect(status.code).toBe(0);
    const doc = JSON.parse(status.stdout) as { events: { registrations: number }[] };
    expect(doc.events.map((e) => e.registrations)).toEqual([50, 50]);
  }, 90_000);

  it("an unreachable database is exit code 1, not 2", async () => {
    const r = await runCliProcess(
      ["status", "--config", config.path],
      { ...env, DATABASE_URL: "postgres://postgres@127.0.0.1:1/none" },
      config.dir,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("failed");
  }, 30_000);
});
