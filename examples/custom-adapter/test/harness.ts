import { Secret, type Connection } from "@project88/core";
import type { AdapterHarness, SeededProvider } from "@project88/core/testing";
import { createRaceNestAdapter } from "../src/adapter.js";
import { startFakeRaceNest } from "../src/fake-racenest.js";

const REASON = { removed: "refund", deferred: "deferral", cleared: "admin_clear" } as const;

/** The conformance suite's view of RaceNest: the fake on loopback and the adapter pointed at it. */
export async function createRaceNestHarness(): Promise<AdapterHarness> {
  const fake = await startFakeRaceNest();
  const token = `tok-${Math.random().toString(36).slice(2)}`;
  fake.addToken(token);
  const pageSize = 3;
  const connection: Connection = {
    id: "nest",
    provider: "racenest",
    credentials: { token: new Secret(token) },
    baseUrl: fake.url,
    budgetKey: "racenest:nest",
    callsPerHour: 1000,
    maxInFlight: 2,
  };
  return {
    adapter: createRaceNestAdapter({ pageSize }),
    pageSize,
    multiEventCalls: true,
    async seed(spec): Promise<SeededProvider> {
      const races = spec.races.map((race) => {
        const event = fake.addEvent({
          title: race.name,
          tz: race.timezone,
          races: race.events.map((e) => ({ label: e.name, startsAt: e.startsAt })),
        });
        return {
          raceId: event.id,
          events: race.events.map((e, i) => {
            const raceId = event.raceIds[i] as string;
            return {
              eventId: raceId,
              registrationIds: e.registrations.map((p) =>
                fake.addEntry(event.id, raceId, { first: p.firstName, last: p.lastName, updatedAt: p.modifiedAt }),
              ),
            };
          }),
        };
      });
      return { connection, races };
    },
    modifyRegistration: async (id, change) => fake.modifyEntry(id, { last: change.lastName, at: change.at }),
    removeRegistration: async (id, change) => fake.cancelEntry(id, { reason: REASON[change.reason], at: change.at }),
    sendBadField(id) {
      fake.malformEntry(id, (row) => ({ ...row, email: 42 }));
      return "email";
    },
    sendUnreadableRow: (id) => fake.malformEntry(id, ({ entry_id: _gone, ...row }) => row),
    failRequests: (failure, count) => fake.failNext(failure, count),
    requestCount: () => fake.requestCount(),
    maxInFlight: () => fake.maxInFlight(),
    close: () => fake.close(),
  };
}
