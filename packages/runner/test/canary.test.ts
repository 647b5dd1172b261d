import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createPostgresStore, type PostgresStore } from "@project88/postgres-store";
import { createTestSchema, type TestSchema } from "@project88/postgres-store/testing";
import { FakeDataset, startFakeRunSignup, type FakeRunSignup } from "@project88/runsignup-adapter/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, freePort, runCliProcess, spawnCli, writeConfig, killChildren } from "./support/cli-process.js";

/** The one secret every connection uses; it must appear nowhere but on the wire to the fake. */
const CANARY = "canary-5ecret-7f3a91c2e8";
const KEYS = ["canary-key-a-41d9", "canary-key-b-83c7"];

describe("a canary secret never leaks", () => {
  let fake: FakeRunSignup;
  let db: TestSchema;
  let store: PostgresStore;
  let config: Awaited<ReturnType<typeof writeConfig>>;
  const env = { K_A: KEYS[0]!, K_B: KEYS[1]!, SECRET: CANARY };

  beforeAll(async () => {
    db = await createTestSchema({ prefix: "runner_canary" });
    const dataset = new FakeDataset({ seed: 3 });
    const keys = KEYS.map((apiKey, i) => dataset.addKey(`Partner ${i}`, { apiKey, apiSecret: CANARY }));
    for (const [i, key] of keys.entries()) {
      const race = dataset.addRace({
        keys: [key],
        timezone: i === 0 ? "America/Denver" : "Europe/London",
        events: [{ startsAt: new Date(Date.now() + 2 * 3_600_000) }, { startsAt: new Date(Date.now() + 50 * 3_600_000) }],
      });
      for (const event of race.events) for (let n = 0; n < 40; n++) dataset.create(event.eventId, {}, new Date(Date.now() - 86_400_000));
    }
    fake = await startFakeRunSignup({ dataset });
    config = await writeConfig({
      schema: db.schema,
      connections: KEYS.map((_, i) => ({
        id: `p${i}`,
        provider: "runsignup",
        apiKey: { env: i === 0 ? "K_A" : "K_B" },
        apiSecret: { env: "SECRET" },
        baseUrl: fake.url,
      })),
    });
    store = await createPostgresStore({ connectionString: db.connectionString, schema: db.schema, migrate: false });
  });

  afterAll(async () => {
    killChildren();
    await store?.close();
    await fake?.close();
    await config?.remove();
    await db?.drop();
  });

  it("appears in no log line, /metrics, /status, page or database row", async () => {
    const dbEnv = { ...env, DATABASE_URL: db.connectionString };
    const outputs: string[] = [];
    const once = await runCliProcess(["once", "--config", config.path, "--log-level", "trace"], dbEnv);
    expect(once.code).toBe(0);
    outputs.push(once.stdout, once.stderr);
    // The fake really received the canary: the test would prove nothing otherwise.
    expect(fake.calls.length).toBeGreaterThan(0);
    expect(fake.calls.every((c) => c.status === 200)).toBe(true);

    // A failing connection's errors must not leak it either.
    fake.faults.setRate(0.5, ["http500", "error", "truncated"], "participants");
    const port = await freePort();
    const child = spawnCli(["start", "--config", config.path, "--port", String(port), "--log-level", "trace"], dbEnv);
    await child.waitForLine((l) => l.includes("status page at"));
    const base = `http://127.0.0.1:${port}`;
    for (const ref of (await store.listEvents()).map((e) => `runsignup:${e.eventId}`)) {
      const sync = await runCliProcess(["sync", ref, "--full", "--config", config.path, "--log-level", "trace"], dbEnv);
      outputs.push(sync.stdout, sync.stderr);
    }
    await eventually(async () => (await fetch(`${base}/readyz`)).status === 200, "the engine ready");
    for (const path of ["/", "/status", "/metrics", "/healthz", "/readyz"]) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(200);
      outputs.push(await res.text());
    }
    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
    outputs.push(child.stdout(), child.stderr());
    const status = await runCliProcess(["status", "--config", config.path], dbEnv);
    const plan = await runCliProcess(["plan", "--config", config.path], dbEnv);
    outputs.push(status.stdout, status.stderr, plan.stdout, plan.stderr);

    const { stdout: dump } = await promisify(execFile)("pg_dump", ["--data-only", `--schema=${db.schema}`, db.connectionString], {
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(dump).toContain("registrations");
    const everything = [...outputs, dump].join("\n");
    expect(everything.length).toBeGreaterThan(10_000);
    expect(everything).not.toContain(CANARY);
    expect(everything).not.toContain(encodeURIComponent(CANARY));
    for (const key of KEYS) expect(everything).not.toContain(key);
  }, 120_000);
});
