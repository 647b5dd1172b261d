import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createPostgresStore } from "@project88/postgres-store";
import { createTestSchema, type TestSchema } from "@project88/postgres-store/testing";
import { startFakeRunSignup, type FakeRunSignup } from "@project88/runsignup-adapter/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const exampleDir = fileURLToPath(new URL("..", import.meta.url));

describe("examples/embed-in-service/src/minimal.ts (the README's embedding)", () => {
  let fake: FakeRunSignup;
  let db: TestSchema;

  beforeAll(async () => {
    db = await createTestSchema({ prefix: "example_minimal" });
    fake = await startFakeRunSignup({ season: { seed: 5, partners: 1, racesPerPartner: 2, eventsPerRace: 2, registrationsPerEvent: 50 } });
  });
  afterAll(async () => {
    await fake?.close();
    await db?.drop();
  });

  it("runs as a process, syncs every registration, and exits 0 on SIGTERM", async () => {
    const key = fake.season!.partners[0]!.key;
    const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", "src/minimal.ts"], {
      cwd: exampleDir,
      env: {
        ...process.env,
        DATABASE_URL: db.connectionString,
        SYNC_SCHEMA: db.schema,
        RSU_BASE_URL: fake.url,
        RSU_KEY: key.apiKey,
        RSU_SECRET: key.apiSecret,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      const store = await createPostgresStore({ connectionString: db.connectionString, schema: db.schema, migrate: false });
      try {
        const deadline = Date.now() + 45_000;
        let active = 0;
        while (Date.now() < deadline) {
          active = (await store.listRegistrations({ provider: "runsignup" }).catch(() => [])).filter((r) => r.status === "active").length;
          // The last page commits before its pass's sync:finish line is printed: wait for both.
          if (active === fake.dataset.registrationCount && /acme race \d+: \+\d+/.test(output)) break;
          await new Promise((r) => setTimeout(r, 250));
        }
        expect(active).toBe(fake.dataset.registrationCount);
      } finally {
        await store.close();
      }
      expect(output).toMatch(/acme race \d+: \+\d+/);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(output).not.toContain(key.apiSecret);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 60_000);
});
