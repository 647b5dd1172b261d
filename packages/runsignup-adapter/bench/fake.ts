/**
 * Benchmark of the fake RunSignUp and the adapter over loopback HTTP:
 * season generation, and a full backfill of one race through the real client.
 * Run: node --conditions=source --import tsx packages/runsignup-adapter/bench/fake.ts
 */
import { createRunSignupAdapter } from "../src/index.js";
import { generateSeason, startFakeRunSignup } from "../src/testing/index.js";

const budget = { acquire: async () => ({ release() {} }) };

function time<T>(label: string, fn: () => T): T {
  const t0 = performance.now();
  const out = fn();
  console.log(`${label}: ${(performance.now() - t0).toFixed(0)} ms`);
  return out;
}

const demo = time("season: 3 partners x 12 races x 3 events x 300 registrations", () =>
  generateSeason({ partners: 3, racesPerPartner: 12, eventsPerRace: 3, registrationsPerEvent: 300 }),
);
console.log(`  ${demo.dataset.registrationCount} registrations`);
time("season: 1,600 events x 5 registrations", () =>
  generateSeason({ partners: 4, racesPerPartner: 200, eventsPerRace: 2, registrationsPerEvent: 5 }),
);

const season = generateSeason({ partners: 1, racesPerPartner: 1, eventsPerRace: 3, registrationsPerEvent: 10_000 });
const fake = await startFakeRunSignup({ season, limits: { callsPerHour: 100_000 } });
const adapter = createRunSignupAdapter();
const race = season.partners[0]!.races[0]!;
const conn = fake.connection(0);
for (let round = 1; round <= 3; round++) {
  const t0 = performance.now();
  let rows = 0;
  for await (const page of adapter.fetchRegistrations(
    conn,
    { raceId: String(race.raceId), eventIds: race.events.map((e) => String(e.eventId)) },
    { budget, signal: new AbortController().signal, now: new Date() },
  )) {
    rows += page.rows.length;
  }
  const ms = performance.now() - t0;
  console.log(
    `backfill round ${round}: ${rows} rows in ${ms.toFixed(0)} ms (${Math.round((rows / ms) * 1000)} rows/s, ${fake.calls.length} calls so far)`,
  );
}
await adapter.close();
await fake.close();
