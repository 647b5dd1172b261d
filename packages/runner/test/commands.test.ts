import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSyncEngine, credentialBudgetKey, secret, type SyncEngine } from "@project88/core";
import { createMemoryStore, createScriptedAdapter, generateDataset, type MemoryStore, type ScriptedAdapter } from "@project88/core/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCli, type RunnerDeps, type StatusJson } from "../src/index.js";
import { captureIo } from "./helpers.js";

/**
 * Every command in-process, on core's memory store and scripted provider (named `runsignup` so
 * the configuration accepts it). The child-process tests cover the real adapter and PostgreSQL.
 */
describe("commands in-process", () => {
  let dir: string;
  let configPath: string;
  let store: MemoryStore;
  let adapter: ScriptedAdapter;
  let engines: SyncEngine[];
  let migrations: number;
  let firstFinish: Promise<void>;
  let onFirstFinish: () => void;

  const deps = (): RunnerDeps => ({
    openStore: async () => ({
      store,
      migrate: async () => {
        migrations += 1;
        return { applied: [], version: 1 };
      },
      close: async () => undefined,
    }),
    createAdapters: () => [adapter],
    createEngine: (options) => {
      const engine = createSyncEngine({ ...options, pollMs: 20 });
      engines.push(engine);
      engine.once("sync:finish", () => onFirstFinish());
      return engine;
    },
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "p88-commands-"));
    configPath = join(dir, "config.json");
    await writeFile(
      configPath,
      JSON.stringify({
        connections: [{ id: "acme", provider: "runsignup", apiKey: { env: "K" }, apiSecret: { env: "S" } }],
        http: { port: 0 },
      }),
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    const now = Date.now();
    const data = generateDataset({
      provider: "runsignup",
      races: 3,
      zones: ["America/Denver", "Europe/London", "Australia/Sydney"],
      base: new Date(now + 2 * 3_600_000),
      eventOffsetsMs: [0, 1_800_000],
      registrationsPerEvent: 30,
    });
    adapter = createScriptedAdapter({ provider: "runsignup", dataset: data, pageSize: 25 });
    store = createMemoryStore();
    engines = [];
    migrations = 0;
    firstFinish = new Promise<void>((resolve) => {
      onFirstFinish = resolve;
    });
  });

  const env = { K: "canary-key-3e1f", S: "canary-secret-9a7c" };
  const run = async (argv: string[], signal?: AbortSignal) => {
    const io = captureIo(env, dir, signal);
    const code = await runCli(argv, io, deps());
    return { code, out: io.stdout.text, err: io.stderr.text };
  };

  it("once discovers, backfills every event, and logs JSON lines naming connection, race and events", async () => {
    const r = await run(["once", "--config", configPath]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(migrations).toBe(1);
    const stored = await store.listRegistrations({ provider: "runsignup" });
    expect(stored.map((x) => x.registrationId).sort()).toEqual(
      adapter.dataset
        .allRegistrations()
        .map((x) => x.registrationId)
        .sort(),
    );
    const lines = r.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const finishes = lines.filter((l) => l.event === "sync:finish");
    expect(finishes.length).toBeGreaterThan(0);
    for (const line of finishes) {
      expect(line.connectionId).toBe("acme");
      expect(typeof line.raceId).toBe("string");
      expect(Array.isArray(line.eventIds)).toBe(true);
    }
    expect(lines.some((l) => typeof l.msg === "string" && l.msg.includes("embedded PGlite"))).toBe(true);
    expect(r.out).not.toContain("canary-");
  });

  it("discover of a paused connection skips it, says so, and exits non-zero instead of waiting out the pause", async () => {
    const now = new Date();
    // The connection's default budget key: a digest of its credentials.
    const key = credentialBudgetKey("runsignup", { apiKey: secret(env.K), apiSecret: secret(env.S) });
    await store.pauseBudget({ key, now, until: new Date(now.getTime() + 3_600_000), reason: "credentials rejected" });
    const r = await run(["discover", "--config", configPath]);
    expect(r.code).not.toBe(0);
    expect(adapter.calls).toEqual([]);
    const lines = r.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.event === "discovery:skipped")).toMatchObject({ connectionId: "acme", reason: "paused", level: 40 });
  });

  it("--no-migrate skips migrations; status --json and plan --json print parseable documents", async () => {
    expect((await run(["once", "--config", configPath, "--no-migrate"])).code).toBe(0);
    expect(migrations).toBe(0);
    const status = await run(["status", "--json", "--config", configPath]);
    expect(status.code).toBe(0);
    const doc = JSON.parse(status.out) as StatusJson;
    expect(doc.events).toHaveLength(6);
    expect(doc.events.every((e) => e.registrations === 30 && e.lastSuccessAt !== null)).toBe(true);
    expect(doc.connections[0]).toMatchObject({ id: "acme", callsPerHour: 1000 });
    const text = await run(["status", "--config", configPath]);
    expect(text.out).toContain("Tier high");
    const plan = await run(["plan", "--hours", "3", "--json", "--config", configPath]);
    expect(plan.code).toBe(0);
    const report = JSON.parse(plan.out) as { connections: { id: string; hours: unknown[] }[] };
    expect(report.connections[0]?.id).toBe("acme");
    expect(report.connections[0]?.hours).toHaveLength(3);
    expect((await run(["plan", "--config", configPath])).out).toContain("acme (budget 1000 calls/hour)");
  });

  it("sync <provider>:<eventId> brings in a change; an unknown event fails with exit 1", async () => {
    await run(["once", "--config", configPath]);
    const [first] = adapter.dataset.allRegistrations();
    adapter.dataset.modifyRegistration(first!.registrationId, { lastName: "Changed" }, new Date(Date.now() + 1_000));
    const r = await run(["sync", `runsignup:${first!.eventId}`, "--config", configPath]);
    expect(r.code).toBe(0);
    const rows = await store.listRegistrations({ provider: "runsignup", eventIds: [first!.eventId] });
    expect(rows.find((x) => x.registrationId === first!.registrationId)?.lastName).toBe("Changed");
    const missing = await run(["sync", "runsignup:424242", "--config", configPath]);
    expect(missing.code).toBe(1);
  });

  it("once stops claiming on a signal: the passes running finish, the rest is left due, exit 0", async () => {
    // Beyond the high tier, so the three backfills share the two ordinary lanes (a race-morning
    // backfill may take an urgent lane too, and all three would start at once).
    for (const race of adapter.dataset.races())
      for (const [i, e] of race.events.entries()) adapter.dataset.moveEvent(e.eventId, new Date(Date.now() + 6 * 3_600_000 + i * 60_000));
    const controller = new AbortController();
    const pending = run(["once", "--config", configPath], controller.signal);
    await firstFinish;
    controller.abort("SIGTERM");
    const r = await pending;
    expect(r.code).toBe(0);
    expect(r.out).toContain("stopped before all due work was done");
    const events = await store.listEvents();
    // Three races were due; at most the two running when the signal came were synced.
    expect(events.filter((e) => e.state.backfilledAt !== null).length).toBeLessThan(events.length);
    expect(events.every((e) => e.state.leaseOwner === null || (e.state.leaseExpiresAt?.getTime() ?? 0) <= Date.now())).toBe(true);
    // The next run completes it.
    expect((await run(["once", "--config", configPath])).code).toBe(0);
    expect((await store.listEvents()).every((e) => e.state.backfilledAt !== null)).toBe(true);
  });

  it("start runs until the signal, then stops gracefully with exit 0", async () => {
    const controller = new AbortController();
    const pending = run(["start", "--config", configPath, "--port", "0"], controller.signal);
    await firstFinish;
    controller.abort("SIGTERM");
    const r = await pending;
    expect(r.code).toBe(0);
    expect(r.out).toContain("stopped cleanly");
    const events = await store.listEvents();
    expect(events.every((e) => e.state.leaseOwner === null || (e.state.leaseExpiresAt?.getTime() ?? 0) <= Date.now())).toBe(true);
  });
});
