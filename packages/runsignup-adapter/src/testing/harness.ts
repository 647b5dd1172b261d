/**
 * The `AdapterHarness` of core's `runAdapterConformance` for this adapter: the fake RunSignUp on
 * loopback HTTP with a settable clock, and the real adapter pointed at it.
 */
import type { AdapterHarness, AdapterSeedSpec, HarnessFailure, SeededProvider } from "@project88/core/testing";
import { createRunSignupAdapter } from "../adapter.js";
import type { RunSignupAdapterOptions } from "../options.js";
import { FakeDataset } from "./dataset.js";
import type { FaultSpec } from "./faults.js";
import { startFakeRunSignup, type FakeRunSignup } from "./server.js";

export interface RunSignupHarness extends AdapterHarness {
  readonly fake: FakeRunSignup;
}

const FAULTS: Record<HarnessFailure, FaultSpec> = {
  // Error 6: the key itself is rejected (error 7 on a race is a ForbiddenError about that race).
  auth: { kind: "error", code: 6 },
  // Error 7 on a race's participants: these credentials may not read that race.
  forbidden: { kind: "error", code: 7 },
  provider: { kind: "http503" },
  "rate-limited": { kind: "throttle" },
};

/** Starts a fake and an adapter with a small page size, for the conformance suite. */
export async function createRunSignupHarness(
  options: { pageSize?: number; adapter?: RunSignupAdapterOptions } = {},
): Promise<RunSignupHarness> {
  let clock = Date.parse("2026-05-02T12:00:00Z");
  const dataset = new FakeDataset({ seed: 5, now: () => new Date(clock) });
  const fake = await startFakeRunSignup({ dataset });
  const pageSize = options.pageSize ?? 3;
  const adapter = createRunSignupAdapter({ ...options.adapter, pageSize });
  const key = dataset.addKey("Conformance");
  const at = (instant: Date) => {
    clock = instant.getTime();
  };

  return {
    fake,
    adapter,
    pageSize,
    multiEventCalls: true,
    async seed(spec: AdapterSeedSpec): Promise<SeededProvider> {
      const races = spec.races.map((raceSpec) => {
        const race = dataset.addRace({
          keys: [key],
          timezone: raceSpec.timezone,
          name: raceSpec.name,
          events: raceSpec.events.map((e) => ({ startsAt: e.startsAt, name: e.name })),
        });
        return {
          raceId: String(race.raceId),
          events: raceSpec.events.map((eventSpec, i) => {
            const eventId = race.events[i]!.eventId;
            const registrationIds = eventSpec.registrations.map((r) => {
              const seconds = Math.floor(r.modifiedAt.getTime() / 1000);
              const reg = dataset.create(eventId, { firstName: r.firstName, lastName: r.lastName }, r.modifiedAt, seconds);
              return String(reg.registrationId);
            });
            return { eventId: String(eventId), registrationIds };
          }),
        };
      });
      return { connection: fake.connection(key), races };
    },
    async modifyRegistration(registrationId, change) {
      at(change.at);
      dataset.modify(Number(registrationId), { lastName: change.lastName });
    },
    async removeRegistration(registrationId, change) {
      at(change.at);
      if (change.reason === "deferred") dataset.defer(Number(registrationId));
      else dataset.remove(Number(registrationId), change.reason);
    },
    sendBadField(registrationId) {
      dataset.malformed.participant(Number(registrationId), (row) => ({ ...row, user: { ...(row.user as object), dob: "0000-00-00" } }));
      return "dob";
    },
    sendUnreadableRow(registrationId) {
      dataset.malformed.participant(Number(registrationId), ({ registration_id: _gone, ...rest }) => rest);
    },
    failRequests(failure, count) {
      fake.faults.clear();
      fake.faults.script(...Array.from({ length: count }, () => FAULTS[failure]));
    },
    requestCount: () => fake.calls.length,
    maxInFlight: () => fake.maxInFlight(),
    async close() {
      await adapter.close();
      await fake.close();
    },
  };
}
