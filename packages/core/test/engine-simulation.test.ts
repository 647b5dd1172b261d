import { describe, expect, it } from "vitest";
import type { Registration, SyncEvent } from "@project88/core";
import type { ScriptedRace } from "@project88/core/testing";
import { createHarness, settle, type Harness } from "./engine-harness.js";
import { bareRegistration } from "./registration.js";
import { zonedToUtc } from "./zoned.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const ZONES = ["America/Denver", "America/New_York", "Pacific/Honolulu", "Europe/London"];
const DAYS = ["2026-10-31", "2026-11-01", "2026-11-02"];
const TIMES = ["07:00", "08:30", "09:15", "10:00", "13:30"];

/** 15 races over the US DST change (2026-11-01), 3-4 events each, a few registrations per event. */
function weekend(): { races: ScriptedRace[]; registrations: Registration[] } {
  const races: ScriptedRace[] = [];
  const registrations: Registration[] = [];
  let eventNo = 5000;
  let regNo = 100_000;
  for (let r = 0; r < 15; r++) {
    const zone = ZONES[r % ZONES.length] as string;
    const raceId = String(1000 + r);
    const first = zonedToUtc(`${DAYS[r % 3]}T${TIMES[r % TIMES.length]}`, zone);
    const events: SyncEvent[] = [0, 15, 45, 90].slice(0, 3 + (r % 2)).map((offsetMin) => {
      const eventId = String(eventNo++);
      return {
        provider: "scripted",
        eventId,
        raceId,
        name: `E${eventId}`,
        startsAt: new Date(first.getTime() + offsetMin * MIN),
        endsAt: null,
        raw: {},
      };
    });
    races.push({ provider: "scripted", raceId, name: `Race ${raceId}`, timezone: zone, nextDate: DAYS[r % 3] as string, raw: {}, events });
    for (const e of events) {
      for (let i = 0; i < 3; i++) {
        registrations.push(
          bareRegistration({
            provider: "scripted",
            registrationId: String(regNo++),
            raceId,
            eventId: e.eventId,
            modifiedAt: new Date("2026-10-01T00:00:00Z"),
          }),
        );
      }
    }
  }
  return { races, registrations };
}

/** Sync instants of each event (pass starts), with the pass kind. */
function syncsByEvent(h: Harness): Map<string, { at: number; kind: string }[]> {
  const out = new Map<string, { at: number; kind: string }[]>();
  for (const entry of h.log) {
    if (entry.name !== "sync:start") continue;
    const p = entry.payload as { eventIds: string[]; kind: string };
    for (const id of p.eventIds) out.set(id, [...(out.get(id) ?? []), { at: entry.at.getTime(), kind: p.kind }]);
  }
  return out;
}

describe("48-hour simulation across time zones and the US DST change", () => {
  it("syncs every event within its tier interval, switches tiers on UTC instants, stops 1 h after the start", async () => {
    const data = weekend();
    const h = createHarness({ start: "2026-10-30T12:00:00Z", dataset: data, pollMs: 30_000 });
    h.adapter.setDelay(500); // each response takes half a second, so requests overlap
    const t0 = h.clock.now().getTime();
    await h.engine.start();
    await h.clock.advance(48 * HOUR);
    const end = h.clock.now().getTime();
    await settle(h.clock, h.engine.stop());
    // Every race discovered at once falls due at once later on: 15 races x 2 calls exceed the
    // 20-token burst, so the last ones queue for a token or two (3.6 s each at 980/h).
    const tolerance = 8_000;
    const syncs = syncsByEvent(h);
    const events = data.races.flatMap((r) => r.events);
    expect(events.length).toBeGreaterThanOrEqual(45);
    for (const e of events) {
      const start = e.startsAt.getTime();
      const list = syncs.get(e.eventId) ?? [];
      expect(list[0]?.kind).toBe("backfill");
      // Within its tier's interval: the gap after each sync never exceeds that tier's interval.
      for (let i = 1; i < list.length; i++) {
        const prev = list[i - 1] as { at: number };
        const cur = list[i] as { at: number };
        const untilStart = start - prev.at;
        const allowed = untilStart <= 4 * HOUR ? MIN : untilStart <= 24 * HOUR ? 15 * MIN : 240 * MIN;
        if (untilStart < -HOUR) continue;
        // Queueing for tokens grows with the number of passes falling due together (every race
        // reaches the 4-hour grid point and its daily reconciliation at once): 1% of the interval.
        const slack = Math.max(tolerance, allowed / 100);
        expect(cur.at - prev.at, `event ${e.eventId} gap after ${new Date(prev.at).toISOString()}`).toBeLessThanOrEqual(allowed + slack);
      }
      // Tier switches on UTC instants: a sync exactly when the event enters medium and high.
      for (const boundary of [start - 24 * HOUR, start - 4 * HOUR]) {
        if (boundary <= t0 + 5 * MIN || boundary >= end) continue;
        const hit = list.find((s) => s.at >= boundary);
        expect(hit?.at, `event ${e.eventId} at ${new Date(boundary).toISOString()}`).toBeLessThanOrEqual(boundary + tolerance);
      }
      if (start + HOUR + 5 * MIN < end) {
        // Stops 1 h after the start, then exactly one final reconciliation, then nothing.
        const after = list.filter((s) => s.at >= start + HOUR);
        expect(
          after.map((s) => s.kind),
          `event ${e.eventId}`,
        ).toEqual(["reconcile"]);
        expect((after[0]?.at ?? 0) - (start + HOUR)).toBeLessThanOrEqual(tolerance);
      }
    }
    const states = await h.store.listEvents();
    for (const s of states) if (s.startsAt.getTime() + HOUR + 5 * MIN < end) expect(s.state.nextDueAt).toBeNull();

    // A Denver race at 08:30 local on 31 Oct (MDT) enters high at 10:30 UTC; on 1 Nov (MST) at 11:30 UTC.
    const denverOct31 = data.races.find((r) => r.timezone === "America/Denver" && r.nextDate === "2026-10-31");
    expect(denverOct31?.events[0]?.startsAt.toISOString()).toBe("2026-10-31T13:00:00.000Z");
    const denverMst = zonedToUtc("2026-11-01T08:30", "America/Denver");
    expect(denverMst.toISOString()).toBe("2026-11-01T15:30:00.000Z");

    // The cursor rule on every pass: modifiedSince = the oldest previous signpost of the group - 60 s.
    const cursor = new Map<string, number>();
    let incrementals = 0;
    for (const entry of h.log) {
      if (entry.name === "sync:finish") {
        const p = entry.payload as { eventIds: string[]; cursorAt: Date };
        for (const id of p.eventIds) cursor.set(id, p.cursorAt.getTime());
      }
      if (entry.name === "sync:start" && (entry.payload as { kind: string }).kind === "incremental") {
        const p = entry.payload as { eventIds: string[]; modifiedSince: Date };
        const oldest = Math.min(...p.eventIds.map((id) => cursor.get(id) ?? Infinity));
        expect(p.modifiedSince.getTime()).toBe(oldest - 60_000);
        expect(oldest).toBeLessThanOrEqual(entry.at.getTime());
        incrementals++;
      }
    }
    expect(incrementals).toBeGreaterThan(1000);

    // Budget: no rolling hour over 1000 calls; never more than 2 requests in flight.
    const times = h.adapter.calls.map((c) => c.at.getTime()).sort((a, b) => a - b);
    let lo = 0;
    for (let hi = 0; hi < times.length; hi++) {
      while ((times[hi] as number) - (times[lo] as number) >= HOUR) lo++;
      expect(hi - lo + 1).toBeLessThanOrEqual(1000);
    }
    expect(h.adapter.maxInFlight).toBe(2);
    expect(h.events("listener:error")).toHaveLength(0);
  }, 60_000);
});
