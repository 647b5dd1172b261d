import { AuthError, ForbiddenError } from "@project88/core";
import { afterEach, describe, expect, it } from "vitest";
import { createRunSignupAdapter } from "../src/index.js";
import { errorForProviderCode } from "../src/error-map.js";
import { fakeConnection } from "../src/testing/index.js";
import { callContext, collect } from "./support/budget.js";
import { startEmptyFake } from "./support/fake.js";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});

/** Two keys that both see race `shared`; `denied` has lost access to its participants. */
async function setup(adapterOptions = {}) {
  const env = await startEmptyFake();
  const adapter = createRunSignupAdapter({ timeoutMs: 1500, ...adapterOptions });
  open.push(env.fake, adapter);
  const denied = env.dataset.addKey("Acme Timing");
  const allowed = env.dataset.addKey("Zenith Timing");
  const shared = env.dataset.addRace({
    keys: [denied, allowed],
    timezone: "America/New_York",
    events: [{ startsAt: new Date("2026-06-10T12:00:00Z") }],
  });
  const own = env.dataset.addRace({
    keys: [denied],
    timezone: "America/New_York",
    events: [{ startsAt: new Date("2026-06-11T12:00:00Z") }],
  });
  for (const race of [shared, own]) for (let i = 0; i < 5; i++) env.dataset.create(race.events[0]!.eventId);
  env.dataset.denyParticipants(shared.raceId, denied);
  const args = (race: typeof shared) => ({ raceId: String(race.raceId), eventIds: [String(race.events[0]!.eventId)] });
  return {
    ...env,
    adapter,
    denied: fakeConnection(denied, env.fake.url),
    allowed: fakeConnection(allowed, env.fake.url),
    shared,
    own,
    args,
  };
}

const window = { from: new Date("2026-06-01T00:00:00Z"), to: new Date("2026-06-30T00:00:00Z") };

describe("error 7 Permission Denied", () => {
  it("on one race's participants is a ForbiddenError naming that race, for that key only", async () => {
    const { fake, adapter, denied, allowed, shared, own, args } = await setup();
    const error = await collect(adapter.fetchRegistrations(denied, args(shared), callContext())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error).not.toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ code: "FORBIDDEN", retryable: false, raceId: String(shared.raceId) });
    expect((error as Error).message).toBe(`[runsignup] race ${shared.raceId} participants: error 7 Permission Denied`);
    expect(fake.calls.at(-1)).toMatchObject({ endpoint: "participants", errorCode: 7 });
    // The removal feed is refused too; the key's other race and the other key are served.
    await expect(collect(adapter.fetchRemovals(denied, args(shared), callContext()))).rejects.toBeInstanceOf(ForbiddenError);
    expect((await collect(adapter.fetchRegistrations(denied, args(own), callContext()))).flatMap((p) => p.rows)).toHaveLength(5);
    expect((await collect(adapter.fetchRegistrations(allowed, args(shared), callContext()))).flatMap((p) => p.rows)).toHaveLength(5);
    // The race is still listed for the denied key (RunSignUp lists the races an account is associated with).
    const races = await collect(adapter.listRaces(denied, window, callContext()));
    expect(races.map((r) => r.raceId).sort()).toEqual([String(shared.raceId), String(own.raceId)].sort());
    // Given back, it is served again.
    fake.dataset.denyParticipants(shared.raceId, denied.credentials.apiKey!.reveal(), false);
    expect((await collect(adapter.fetchRegistrations(denied, args(shared), callContext()))).flatMap((p) => p.rows)).toHaveLength(5);
  });

  it("outside a race (the race list) is still an AuthError that pauses the key", () => {
    expect(errorForProviderCode(7, "Permission Denied", "races page 1", null)).toBeInstanceOf(AuthError);
    expect(errorForProviderCode(6, "Key authentication failed", "race 1 participants", null, "1")).toBeInstanceOf(AuthError);
    expect(errorForProviderCode(7, "Permission Denied", "race 1 participants", null, "1")).toBeInstanceOf(ForbiddenError);
  });

  it("on a race's detail during discovery skips that race and keeps the others", async () => {
    const { fake, adapter, denied, shared, own } = await setup({ raceDetail: "always" });
    fake.faults.script({ kind: "error", code: 7, endpoint: "race" });
    const races = await collect(adapter.listRaces(denied, window, callContext()));
    expect(races).toHaveLength(1);
    expect([String(shared.raceId), String(own.raceId)]).toContain(races[0]!.raceId);
  });
});
