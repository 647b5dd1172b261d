/**
 * `pnpm --filter @project88/example-custom-adapter start`: a fake RaceNest on loopback, the
 * engine with the RaceNest adapter and the PostgreSQL store (DATABASE_URL, or in-memory PGlite),
 * one `runOnce`, and what landed in the database.
 */
import { createSyncEngine, Secret } from "@project88/core";
import { createPostgresStore } from "@project88/postgres-store";
import { createRaceNestAdapter } from "./adapter.js";
import { startFakeRaceNest } from "./fake-racenest.js";

const fake = await startFakeRaceNest();
fake.addToken("demo-token-5f2c");
const hour = 3_600_000;
const whole = (ms: number) => new Date(Math.floor(ms / 60_000) * 60_000);
const season = [
  { title: "Harbour Half", tz: "Europe/London", at: Date.now() + 2 * hour },
  { title: "Mesa Trail Run", tz: "America/Denver", at: Date.now() + 26 * hour },
  { title: "Bondi Beach Dash", tz: "Australia/Sydney", at: Date.now() + 72 * hour },
];
for (const [i, e] of season.entries()) {
  const event = fake.addEvent({
    title: e.title,
    tz: e.tz,
    races: [
      { label: "Main", startsAt: whole(e.at) },
      { label: "Kids", startsAt: whole(e.at + hour) },
    ],
  });
  for (let n = 0; n < 300; n++)
    fake.addEntry(event.id, event.raceIds[n % 2] as string, {
      first: `Runner${n}`,
      last: `Family${i}`,
      updatedAt: new Date(Date.now() - 86_400_000),
    });
}

const store = await createPostgresStore(
  process.env.DATABASE_URL ? { connectionString: process.env.DATABASE_URL, schema: "racenest_example" } : { pglite: {} },
);
const engine = createSyncEngine({
  adapters: [createRaceNestAdapter()],
  store,
  connections: [{ id: "nest-demo", provider: "racenest", credentials: { token: new Secret("demo-token-5f2c") }, baseUrl: fake.url }],
});
engine.on("sync:finish", (e) =>
  console.log(`${e.kind} of race ${e.raceId} (events ${e.eventIds.join(", ")}): ${e.inserted} inserted in ${e.apiCalls} calls`),
);

const result = await engine.runOnce();
for (const e of await store.listEvents()) {
  const local = new Intl.DateTimeFormat("en-GB", { timeZone: e.timezone, dateStyle: "medium", timeStyle: "short" }).format(e.startsAt);
  console.log(
    `${e.raceName} / ${e.name}: starts ${local} (${e.timezone}) = ${e.startsAt.toISOString()}, ${e.activeRegistrations} registrations`,
  );
}
console.log(`${result.passes.length} passes, ${result.failed} failed`);
await engine.stop();
await store.close();
await fake.close();
