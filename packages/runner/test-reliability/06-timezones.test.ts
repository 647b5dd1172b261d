import { createSyncEngine, secret } from "@project88/core";
import { createMemoryStore, createScriptedAdapter, ManualClock } from "@project88/core/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { killChildren } from "../test/support/cli-process.js";
import { createRig, type Rig } from "./support/rig.js";
import { report, rngFor } from "./support/seed.js";

/**
 * Section 6: time zones across the 2027 daylight-saving changes. The UTC instants below are
 * worked out by hand from each zone's rules (not by the code under test): a start stored an hour
 * off, or a tier entered an hour early or late, fails here.
 */
const STARTS: readonly { zone: string; local: string; utc: string }[] = [
  // US DST begins 2027-03-14 02:00 local.
  { zone: "America/Denver", local: "2027-03-13 08:30 MST", utc: "2027-03-13T15:30:00.000Z" },
  { zone: "America/Denver", local: "2027-03-14 08:30 MDT", utc: "2027-03-14T14:30:00.000Z" },
  { zone: "America/New_York", local: "2027-03-14 08:00 EDT", utc: "2027-03-14T12:00:00.000Z" },
  { zone: "America/New_York", local: "2027-03-14 01:30 EST (before the change)", utc: "2027-03-14T06:30:00.000Z" },
  // No DST in Hawaii.
  { zone: "Pacific/Honolulu", local: "2027-03-14 06:00 HST", utc: "2027-03-14T16:00:00.000Z" },
  // UK summer time begins 2027-03-28 01:00 UTC.
  { zone: "Europe/London", local: "2027-03-28 00:30 GMT", utc: "2027-03-28T00:30:00.000Z" },
  { zone: "Europe/London", local: "2027-03-28 09:00 BST", utc: "2027-03-28T08:00:00.000Z" },
  // Sydney summer time ends 2027-04-04 03:00 AEDT (back to 02:00 AEST).
  { zone: "Australia/Sydney", local: "2027-04-04 01:00 AEDT", utc: "2027-04-03T14:00:00.000Z" },
  { zone: "Australia/Sydney", local: "2027-04-04 07:00 AEST", utc: "2027-04-03T21:00:00.000Z" },
];

describe("section 6: stored start instants through the CLI", () => {
  let rig: Rig;
  let failed = false;
  beforeAll(async () => {
    const { seed } = rngFor("timezones");
    rig = await createRig({ prefix: "rel_tz", seed });
    for (const s of STARTS) {
      const race = rig.fake.dataset.addRace({
        keys: [rig.keys[0]!],
        timezone: s.zone,
        name: `${s.zone} ${s.local}`,
        events: [{ startsAt: new Date(s.utc) }],
      });
      for (let i = 0; i < 5; i++) rig.fake.dataset.create(race.events[0]!.eventId, {}, new Date(Date.now() - 86_400_000));
    }
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === "fail") failed = true;
  });
  afterAll(async () => {
    killChildren();
    await rig?.close(failed);
  });

  it("every event's starts_at is the right UTC instant, on both sides of each change", async () => {
    const once = await rig.once();
    expect(once.code, once.stderr).toBe(0);
    const rows = await rig.sql.query<{ name: string; timezone: string; starts_at: Date }>(
      `SELECT r.name, r.timezone, e.starts_at FROM "${rig.db.schema}".events e JOIN "${rig.db.schema}".races r USING (provider, race_id)`,
    );
    const got = Object.fromEntries(rows.map((r) => [r.name, { zone: r.timezone, utc: new Date(r.starts_at).toISOString() }]));
    const want = Object.fromEntries(STARTS.map((s) => [`${s.zone} ${s.local}`, { zone: s.zone, utc: s.utc }]));
    expect(got).toEqual(want);
    expect(await rig.diff()).toEqual([]);
  });
});

describe("section 6: tiers change at the right instants (engine, manual clock)", () => {
  it("each event enters medium exactly 24 h and high exactly 4 h before its UTC start, across the changes", async () => {
    const clock = new ManualClock("2027-03-11T00:00:00Z");
    const races = STARTS.map((s, i) => ({
      provider: "scripted",
      raceId: `r${i}`,
      name: `${s.zone} ${s.local}`,
      timezone: s.zone,
      nextDate: null,
      raw: null,
      events: [
        { provider: "scripted", eventId: `e${i}`, raceId: `r${i}`, name: s.local, startsAt: new Date(s.utc), endsAt: null, raw: null },
      ],
    }));
    const adapter = createScriptedAdapter({ clock, dataset: { races, registrations: [] } });
    const store = createMemoryStore();
    const engine = createSyncEngine({
      adapters: [adapter],
      store,
      clock,
      connections: [{ id: "c1", provider: "scripted", credentials: { key: secret("k") }, callsPerHour: 100_000, burst: 1_000 }],
      // The default tiers' boundaries (24 h, 4 h) with longer intervals, so 25 days run in seconds.
      schedule: {
        tiers: [
          { name: "high", withinMs: 4 * 3_600_000, everyMs: 15 * 60_000 },
          { name: "medium", withinMs: 24 * 3_600_000, everyMs: 60 * 60_000 },
          { name: "low", everyMs: 240 * 60_000 },
        ],
      },
      owner: "tz-test",
      // No polling: the engine wakes when work it scheduled falls due, which is what is tested.
      pollMs: 3_600_000,
      random: () => 0.5,
    });
    const starts: { at: number; eventIds: readonly string[] }[] = [];
    engine.on("sync:start", (p) => starts.push({ at: clock.now().getTime(), eventIds: p.eventIds }));
    await engine.start();
    const end = Date.parse("2027-04-05T00:00:00Z");
    while (clock.now().getTime() < end) await clock.advance(3_600_000);
    await engine.stop({ timeoutMs: 1_000 });

    const misses: string[] = [];
    for (const [i, s] of STARTS.entries()) {
      const at = starts.filter((x) => x.eventIds.includes(`e${i}`)).map((x) => x.at);
      for (const [tier, hours] of [
        ["medium", 24],
        ["high", 4],
      ] as const) {
        const boundary = Date.parse(s.utc) - hours * 3_600_000;
        // A pass starts at the boundary; in high, passes follow every 15 min.
        if (!at.some((t) => t >= boundary && t <= boundary + 1_000))
          misses.push(`${s.zone} ${s.local}: no pass as it entered ${tier} at ${new Date(boundary).toISOString()}`);
      }
      const highGaps = at.filter((t) => t >= Date.parse(s.utc) - 4 * 3_600_000 && t <= Date.parse(s.utc));
      for (let k = 1; k < highGaps.length; k++)
        if (highGaps[k]! - highGaps[k - 1]! > 15 * 60_000 + 1_000)
          misses.push(`${s.zone} ${s.local}: a ${highGaps[k]! - highGaps[k - 1]!} ms gap in high`);
    }
    report("timezones", { passes: starts.length, events: STARTS.length });
    expect(misses).toEqual([]);
  });
});
