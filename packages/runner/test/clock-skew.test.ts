import { ClockSkewError, createSyncEngine, type EngineEvents, type SyncEngine } from "@project88/core";
import { ManualClock } from "@project88/core/testing";
import { createPostgresStore, type PostgresStore } from "@project88/postgres-store";
import { createTestSchema, type TestSchema } from "@project88/postgres-store/testing";
import { createRunSignupAdapter, type RunSignupAdapter } from "@project88/runsignup-adapter";
import { FakeDataset, startFakeRunSignup, type FakeRunSignup } from "@project88/runsignup-adapter/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

/**
 * Clock skew end to end: the real adapter over loopback HTTP to the fake RunSignUp, whose clock
 * (its Date header and the stamps of its changes) runs 90 s away from this host's, the engine on
 * the system clock, and PostgreSQL.
 */
let db: TestSchema;
const open: { close(): Promise<void> }[] = [];
beforeAll(async () => {
  db = await createTestSchema({ prefix: "runner_clock" });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});
afterAll(async () => {
  await db?.drop();
});

async function setup(fakeOffsetMs: number, id: string) {
  const fake: FakeRunSignup = await startFakeRunSignup({ dataset: new FakeDataset({ seed: 4 }), clockOffsetMs: fakeOffsetMs });
  const store: PostgresStore = await createPostgresStore({ connectionString: db.connectionString, schema: db.schema });
  const adapter: RunSignupAdapter = createRunSignupAdapter();
  open.push(adapter, fake, store);
  const key = fake.dataset.addKey(`Partner ${id}`);
  // Half an hour before the start: every pass runs the removal feed too.
  const race = fake.dataset.addRace({
    keys: [key],
    timezone: "America/Denver",
    events: [{ startsAt: new Date(Date.now() + 30 * 60_000) }],
  });
  const eventId = race.events[0]!.eventId;
  const regs = Array.from({ length: 12 }, () => fake.dataset.create(eventId, {}, new Date(Date.now() - 86_400_000)));
  const engine: SyncEngine = createSyncEngine({
    adapters: [adapter],
    store,
    connections: [fake.connection(key, { id })],
    owner: `clock-${id}`,
    // Incremental passes, whose cursors the skew moves: a race this small would be read whole.
    schedule: { wholePullMaxRows: 0 },
  });
  const skews: EngineEvents["clock:skew"][] = [];
  engine.on("clock:skew", (p) => skews.push(p));
  return { fake, store, engine, skews, eventId: String(eventId), regs };
}

async function row(store: PostgresStore, eventId: string, registrationId: number) {
  const rows = await store.listRegistrations({ provider: "runsignup", eventIds: [eventId] });
  return rows.find((r) => r.registrationId === String(registrationId));
}

describe("clock skew between this host and RunSignUp", () => {
  it("a host 90 s ahead of RunSignUp (the fake's clock 90 s behind) loses no change over several incremental passes", async () => {
    const { fake, store, engine, skews, eventId, regs } = await setup(-90_000, "ahead");
    const first = await engine.runOnce();
    expect(first.passes.map((p) => [p.kind, p.ok])).toEqual([["backfill", true]]);
    expect(skews).toHaveLength(1);
    expect(skews[0]).toMatchObject({ source: "provider", connectionId: "ahead", exceeded: true });
    expect(skews[0]!.skewMs).toBeGreaterThanOrEqual(90_000);
    expect(skews[0]!.skewMs).toBeLessThan(92_000);
    for (let round = 0; round < 4; round++) {
      // RunSignUp stamps the changes with its own clock: 90 s before this host's "now".
      const changed = fake.dataset.modify(regs[round]!.registrationId, { bib: `B${round}` });
      const removed = fake.dataset.remove(regs[6 + round]!.registrationId);
      const result = await engine.syncEvent({ provider: "runsignup", eventId });
      expect(result).toMatchObject({ kind: "incremental", ok: true });
      expect((await row(store, eventId, changed.registrationId))?.bib, `round ${round}`).toBe(`B${round}`);
      expect((await row(store, eventId, removed.registration.registrationId))?.status, `round ${round}`).toBe("removed");
    }
    const [event] = await store.listEvents({ refs: [{ provider: "runsignup", eventId }] });
    expect(event!.state.cursorAt!.getTime()).toBeLessThanOrEqual(fake.now().getTime());
    const status = await engine.status();
    expect(status.connections[0]!.clockSkewMs).toBeGreaterThanOrEqual(90_000);
  });

  it("a host 90 s behind RunSignUp (the fake's clock 90 s ahead) keeps its own signpost and loses nothing either", async () => {
    const { fake, store, engine, skews, eventId, regs } = await setup(90_000, "behind");
    await engine.runOnce();
    for (let round = 0; round < 3; round++) {
      const changed = fake.dataset.modify(regs[round]!.registrationId, { bib: `C${round}` });
      const before = Date.now();
      const result = await engine.syncEvent({ provider: "runsignup", eventId });
      expect(result).toMatchObject({ kind: "incremental", ok: true });
      expect((await row(store, eventId, changed.registrationId))?.bib).toBe(`C${round}`);
      // No correction: the cursor is this host's own signpost, already earlier than RunSignUp's clock.
      const [event] = await store.listEvents({ refs: [{ provider: "runsignup", eventId }] });
      expect(event!.state.cursorAt!.getTime()).toBeGreaterThanOrEqual(before);
    }
    expect(skews).toHaveLength(1);
    expect(skews[0]!.skewMs).toBeLessThanOrEqual(-89_000);
  });
});

describe("this host's clock against PostgreSQL's", () => {
  it("an engine whose clock is 2 minutes off refuses to start, naming both instants", async () => {
    const store = await createPostgresStore({ connectionString: db.connectionString, schema: db.schema });
    const adapter = createRunSignupAdapter();
    open.push(adapter, store);
    const clock = new ManualClock(new Date(Date.now() + 120_000));
    const connection = { id: "p", provider: "runsignup", credentials: {}, baseUrl: "http://127.0.0.1:1/Rest" };
    const engine = createSyncEngine({ adapters: [adapter], store, clock, connections: [connection] });
    const error = await engine.start().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ClockSkewError);
    expect((error as ClockSkewError).skewMs).toBeGreaterThan(115_000);
    expect((error as Error).message).toMatch(
      /this host's clock \(\S+Z\) and the database's \(\S+Z\) differ by 1\d\d\.\d s, more than the 30 s allowed/,
    );
    // Within a generous limit it runs.
    const lenient = createSyncEngine({ adapters: [adapter], store, clock, connections: [connection], maxClockSkewMs: 300_000 });
    await lenient.start();
    await lenient.stop({ timeoutMs: 1000 });
  });
});
