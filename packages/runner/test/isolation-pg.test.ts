import { createSyncEngine, secret, type EngineEvents, type SyncEngine } from "@project88/core";
import { createPostgresStore, type PostgresStore } from "@project88/postgres-store";
import { createTestSchema, type TestSchema } from "@project88/postgres-store/testing";
import { createRunSignupAdapter, type RunSignupAdapter } from "@project88/runsignup-adapter";
import { fakeConnection, startFakeRunSignup, type FakeRunSignup } from "@project88/runsignup-adapter/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** Resolves with `work`, or rejects when it has not settled within `ms` of real time (a hang). */
function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms);
  });
  return Promise.race([work, hung]).finally(() => clearTimeout(timer));
}

/**
 * `once` run twice (a cron job) on real PostgreSQL against the fake RunSignUp over loopback HTTP,
 * with one partner's key revoked (error 6 to every call).
 */
describe("a revoked key on PostgreSQL and HTTP", () => {
  let db: TestSchema;
  let fake: FakeRunSignup;
  let store: PostgresStore;
  let adapter: RunSignupAdapter;
  const engines: SyncEngine[] = [];

  beforeAll(async () => {
    db = await createTestSchema({ prefix: "runner_revoked" });
    store = await createPostgresStore({ connectionString: db.connectionString, schema: db.schema });
    fake = await startFakeRunSignup();
    adapter = createRunSignupAdapter({ timeoutMs: 5_000 });
  });

  afterAll(async () => {
    await Promise.all(engines.map((e) => e.stop({ timeoutMs: 1_000 })));
    await adapter?.close();
    await fake?.close();
    await store?.close();
    await db?.drop();
  });

  it("a second once skips the paused partner's discovery instead of waiting out its hour, and syncs the other partner", async () => {
    const good = fake.dataset.addKey("Good Timing");
    const gone = fake.dataset.addKey("Gone Timing");
    const race = fake.dataset.addRace({
      keys: [good],
      timezone: "America/New_York",
      events: [{ startsAt: new Date(Date.now() + 2 * 3_600_000) }],
    });
    const eventId = race.events[0]?.eventId ?? 0;
    for (let i = 0; i < 20; i++) fake.dataset.create(eventId, {}, new Date(Date.now() - 86_400_000));
    const ok = fakeConnection(good, fake.url, { id: "good" });
    // The partner revoked this key: RunSignUp answers error 6 to every call made with it.
    const revoked = {
      ...fakeConnection(gone, fake.url, { id: "revoked" }),
      credentials: { apiKey: secret("revoked-key-1"), apiSecret: secret("revoked-secret-1") },
    };
    const engine = (owner: string) => {
      const e = createSyncEngine({ adapters: [adapter], store, connections: [ok, revoked], owner });
      engines.push(e);
      return e;
    };

    const first = await within(20_000, engine("once-1").runOnce());
    expect(first.passes.filter((p) => p.connectionId === "good" && p.ok)).toHaveLength(1);
    const paused = (await store.getBudgets({ now: new Date() })).find((b) => b.key === "runsignup:revoked");
    expect(paused?.pauseReason).toBe("credentials rejected");

    // The next cron run is a fresh process: it knows nothing of the pause but what the store says.
    fake.dataset.create(eventId);
    await store.updateSchedule({ now: new Date(), patches: [{ provider: "runsignup", eventId: String(eventId), nextDueAt: new Date() }] });
    const second = engine("once-2");
    const skipped: EngineEvents["discovery:skipped"][] = [];
    second.on("discovery:skipped", (p) => skipped.push(p));
    const callsBefore = fake.calls.length;
    const result = await within(20_000, second.runOnce());
    expect(skipped).toMatchObject([{ connectionId: "revoked", reason: "paused", pauseReason: "credentials rejected" }]);
    expect(result.passes).toMatchObject([{ connectionId: "good", ok: true, inserted: 1 }]);
    // Nothing was asked with the revoked key: the good partner's pass was the only traffic.
    expect(fake.calls.slice(callsBefore).every((c) => c.endpoint !== "races")).toBe(true);
    await within(5_000, second.stop({ timeoutMs: 2_000 }));
  }, 60_000);
});
