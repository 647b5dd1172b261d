import { stat } from "node:fs/promises";
import { join } from "node:path";
import { startFakeRunSignup, type FakeRunSignup } from "@project88/runsignup-adapter/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, freePort, killChildren, runCliProcess, spawnCli, writeConfig } from "./support/cli-process.js";
import { seasonConnections } from "./support/season.js";

/** The embedded database serves one process: a second one is refused or pointed at the first. */
describe("the embedded database's lock, across processes", () => {
  let fake: FakeRunSignup;
  let config: Awaited<ReturnType<typeof writeConfig>>;
  let env: Record<string, string>;
  let port: number;

  beforeAll(async () => {
    fake = await startFakeRunSignup({ season: { seed: 6, partners: 1, racesPerPartner: 2, eventsPerRace: 1, registrationsPerEvent: 30 } });
    const season = seasonConnections(fake);
    port = await freePort();
    config = await writeConfig({ connections: season.connections, http: { port } });
    env = season.env;
  });
  afterAll(async () => {
    killChildren();
    await fake?.close();
    await config?.remove();
  });

  it("refuses `once` beside a running `start`, serves `status` and `plan` from it, and a SIGKILLed holder does not block the next start", async () => {
    const start = spawnCli(["start", "--config", config.path], env, config.dir);
    const line = JSON.parse(await start.waitForLine((l) => l.includes("status page at"))) as Record<string, unknown>;
    // The address really bound, and that it is this machine only (no http.host in the file).
    expect(line).toMatchObject({ address: "127.0.0.1", port });
    expect(line.msg).toContain(`listening on 127.0.0.1:${port}, this machine only`);
    expect((await stat(join(config.dir, ".project88-sync"))).mode & 0o777).toBe(0o700);
    await eventually(async () => {
      const doc = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as { events: { backfilled: boolean }[] };
      return doc.events.length === 2 && doc.events.every((e) => e.backfilled);
    }, "the backfill of both events");

    const once = await runCliProcess(["once", "--config", config.path], env, config.dir);
    expect(once.code).toBe(2);
    expect(once.stderr).toContain(`in use by process ${start.child.pid} (project88-sync start) since 20`);
    expect(once.stderr).toContain("DATABASE_URL");
    expect(once.stderr).toContain(`http://127.0.0.1:${port}/`);

    const status = await runCliProcess(["status", "--json", "--config", config.path], env, config.dir);
    expect(status.stderr).toBe("");
    expect(status.code).toBe(0);
    const doc = JSON.parse(status.stdout) as { owner: string; events: { registrations: number }[] };
    expect(doc.events.map((e) => e.registrations)).toEqual([30, 30]);
    const text = await runCliProcess(["status", "--config", config.path], env, config.dir);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("(2 current events of ");
    expect(text.stdout).toContain("30 registrations");
    const plan = await runCliProcess(["plan", "--hours", "2", "--json", "--config", config.path], env, config.dir);
    expect(plan.code).toBe(0);
    expect((JSON.parse(plan.stdout) as { hours: number }).hours).toBe(2);

    // A crash leaves the lock file behind; the next start takes it over at once.
    start.kill("SIGKILL");
    expect(await start.exited).toBeNull();
    const next = spawnCli(["start", "--config", config.path], env, config.dir);
    await next.waitForLine((l) => l.includes("status page at"));
    next.kill("SIGTERM");
    expect(await next.exited).toBe(0);
    // The clean stop released it: a one-off run works again.
    const after = await runCliProcess(["status", "--json", "--config", config.path], env, config.dir);
    expect(after.code).toBe(0);
  }, 240_000);
});
