import { describe, expect, it } from "vitest";
import { ConfigError, type Registration } from "@project88/core";
import { generateDataset } from "@project88/core/testing";
import { connection, createHarness, settle, type HarnessOptions } from "./engine-harness.js";

const base = new Date("2026-07-04T14:00:00Z");
const start = "2026-07-01T06:30:00Z";
const DAY = 86_400_000;

/** One race of three people whose raw rows carry answers to questions, plus a removal the store never saw. */
function dataset() {
  const data = generateDataset({ races: 1, base, registrationsPerEvent: 3 });
  const registrations = data.registrations.map(
    (r): Registration => ({
      ...r,
      raw: {
        registration_id: r.registrationId,
        first_name: r.firstName,
        bib_num: r.bib,
        question_responses: [{ question_id: "1", response: "asthma" }],
      },
    }),
  );
  const event = data.races[0]?.events[0];
  const removals = [
    {
      provider: "scripted",
      registrationId: "99",
      raceId: data.races[0]?.raceId ?? "",
      eventId: event?.eventId ?? "",
      reason: "removed" as const,
      newRegistrationId: null,
      modifiedAt: new Date(base.getTime() - DAY),
      raw: { registration_id: "99", first_name: "Zoe", bib_num: "5" },
    },
  ];
  return { ...data, registrations, removals };
}

function harness(extra: Partial<HarnessOptions> = {}) {
  return createHarness({ start, dataset: dataset(), ...extra });
}

async function raws(h: ReturnType<typeof harness>): Promise<unknown[]> {
  return (await h.store.listRegistrations({ provider: "scripted" })).map((r) => r.raw);
}

describe("raw policy per connection", () => {
  it("keeps raw in full by default", async () => {
    const h = harness();
    await settle(h.clock, h.engine.runOnce());
    const kept = await raws(h);
    expect(kept).toHaveLength(4);
    expect(kept[1]).toMatchObject({ question_responses: [{ response: "asthma" }] });
  });

  it('"none" stores no raw at all, for registrations and removals', async () => {
    const h = harness({ connections: [connection("c1", { raw: "none" })] });
    await settle(h.clock, h.engine.runOnce());
    expect(await raws(h)).toEqual([null, null, null, null]);
  });

  it("{ keep } stores only the listed top-level fields", async () => {
    const h = harness({ connections: [connection("c1", { raw: { keep: ["registration_id", "bib_num"] } })] });
    await settle(h.clock, h.engine.runOnce());
    for (const raw of await raws(h)) expect(Object.keys(raw as object).sort()).toEqual(["bib_num", "registration_id"]);
  });

  it("an invalid policy is a ConfigError naming the path", () => {
    expect(() => harness({ connections: [connection("c1", { raw: { keep: [] } })] })).toThrow(/connections\.0\.raw/);
    expect(() => harness({ connections: [connection("c1", { raw: "some" as never })] })).toThrow(ConfigError);
  });
});

describe("forget", () => {
  it("erases one registration; a later sync brings it back only when the provider sends it, and says so with ids only", async () => {
    const h = harness();
    await settle(h.clock, h.engine.runOnce());
    const [target, other] = (await h.store.listRegistrations({ provider: "scripted" })).filter((r) => r.status === "active");
    const id = target?.registrationId as string;
    expect(await h.engine.forget({ provider: "scripted", registrationId: id })).toEqual({ registrations: 1 });
    expect(h.events("privacy:forgotten")).toEqual([{ provider: "scripted", registrationId: id, userId: null, registrations: 1 }]);
    const cleared = async () => (await h.store.listRegistrations({ provider: "scripted" })).find((r) => r.registrationId === id);
    expect(await cleared()).toMatchObject({
      firstName: null,
      lastName: null,
      email: null,
      dob: null,
      userId: null,
      raw: null,
      status: "active",
    });

    // The next passes do not bring the person back while the provider does not send them again.
    const due = async () => Math.min(...(await h.store.listEvents()).map((e) => e.state.nextDueAt?.getTime() ?? Infinity));
    await h.clock.advanceTo(await due());
    h.adapter.dataset.modifyRegistration(other?.registrationId as string, { bib: "77" }, h.clock.now());
    await settle(h.clock, h.engine.runOnce());
    expect((await cleared())?.firstName).toBeNull();
    expect(h.events("privacy:returned")).toEqual([]);

    // The provider changes the registration: it is stored again, and the event names the ids.
    await h.clock.advanceTo(await due());
    h.adapter.dataset.modifyRegistration(id, { bib: "88" }, h.clock.now());
    await settle(h.clock, h.engine.runOnce());
    expect((await cleared())?.bib).toBe("88");
    const [returned] = h.events("privacy:returned");
    expect(returned?.registrations).toEqual([{ registrationId: id, userId: target?.userId }]);
    expect(JSON.stringify(returned)).not.toContain(target?.firstName as string);
  });

  it("by user erases every registration of that user", async () => {
    const h = harness();
    await settle(h.clock, h.engine.runOnce());
    const [target] = (await h.store.listRegistrations({ provider: "scripted" })).filter((r) => r.status === "active");
    const result = await h.engine.forget({ provider: "scripted", userId: target?.userId as string });
    expect(result.registrations).toBeGreaterThanOrEqual(1);
    const left = (await h.store.listRegistrations({ provider: "scripted" })).filter((r) => r.userId === target?.userId);
    expect(left).toEqual([]);
  });

  it("refuses a subject without exactly one id", async () => {
    const h = harness();
    await expect(h.engine.forget({ provider: "scripted" } as never)).rejects.toBeInstanceOf(ConfigError);
    await expect(h.engine.forget({ provider: "scripted", registrationId: "1", userId: "2" } as never)).rejects.toBeInstanceOf(ConfigError);
    await expect(h.engine.forget({ provider: "scripted", registrationId: " " })).rejects.toThrow(/registrationId/);
  });
});

describe("retention", () => {
  /** Syncs the race, runs its final reconciliation after the start, and returns the harness. */
  async function synced(extra: Partial<HarnessOptions> = {}) {
    const h = harness(extra);
    await settle(h.clock, h.engine.runOnce());
    h.clock.set(new Date(base.getTime() + 2 * 3_600_000));
    await settle(h.clock, h.engine.runOnce());
    const [event] = await h.store.listEvents();
    expect(event?.state.nextDueAt).toBeNull();
    return h;
  }

  it("the running engine anonymises registrations of events that ended more than N days ago, once a day", async () => {
    const h = await synced({ retention: { days: 30 } });
    const named = async () =>
      (await h.store.listRegistrations({ provider: "scripted" })).filter((r) => r.firstName !== null || r.raw !== null).length;
    expect(await named()).toBe(4);
    // 29.5 days after the start: nothing is old enough.
    h.clock.set(new Date(base.getTime() + 29.5 * DAY));
    await h.engine.start();
    await h.clock.advance(2000);
    expect(await named()).toBe(4);
    // Hours later the event qualifies, but today's purge already ran: nothing until a day has passed.
    h.clock.set(new Date(base.getTime() + 30 * DAY + 3_600_000));
    await h.clock.advance(2000);
    expect(await named()).toBe(4);
    h.clock.set(new Date(base.getTime() + 30.5 * DAY + 3_600_000));
    await h.clock.advance(2000);
    expect(await named()).toBe(0);
    const rows = await h.store.listRegistrations({ provider: "scripted" });
    expect(rows.map((r) => r.status).sort()).toEqual(["active", "active", "active", "removed"]);
    expect(h.events("privacy:anonymised")).toHaveLength(1);
    expect(h.events("privacy:anonymised")[0]).toMatchObject({ anonymised: 4, batches: 1 });
    const [event] = await h.store.listEvents();
    expect(event?.activeRegistrations).toBe(3);
    await settle(h.clock, h.engine.stop());
  });

  it("a failed background purge is reported as engine:error and tried again an hour later, not a day", async () => {
    const h = await synced({ retention: { days: 30 } });
    h.clock.set(new Date(base.getTime() + 40 * DAY));
    h.store.failNext("anonymiseEnded");
    await h.engine.start();
    await h.clock.advance(2000);
    expect(h.events("engine:error").map((e) => e.phase)).toEqual(["retention"]);
    expect((await h.store.listRegistrations({ provider: "scripted" })).some((r) => r.firstName !== null)).toBe(true);
    h.clock.set(new Date(h.clock.now().getTime() + 3_600_000));
    await h.clock.advance(2000);
    expect((await h.store.listRegistrations({ provider: "scripted" })).every((r) => r.firstName === null && r.raw === null)).toBe(true);
    await settle(h.clock, h.engine.stop());
  });

  it("purge() runs it now in batches; without retention it needs days", async () => {
    const h = await synced({ retention: { days: 30, batchSize: 3 } as never });
    h.clock.set(new Date(base.getTime() + 40 * DAY));
    const result = await h.engine.purge();
    expect(result).toEqual({ endedBefore: new Date(base.getTime() + 10 * DAY), anonymised: 4, batches: 2 });
    const off = await synced();
    await expect(off.engine.purge()).rejects.toBeInstanceOf(ConfigError);
    off.clock.set(new Date(base.getTime() + 40 * DAY));
    expect((await off.engine.purge({ days: 30 })).anonymised).toBe(4);
  });
});
