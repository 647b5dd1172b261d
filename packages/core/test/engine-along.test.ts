import { describe, expect, it } from "vitest";
import { createScriptedAdapter, generateDataset, ManualClock } from "@project88/core/testing";
import { createHarness, settle } from "./engine-harness.js";

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const start = new Date("2026-07-04T09:00:00Z");

/**
 * One race of two events in the high tier (starts 3 h and 3 h 15 min on), backfilled, whose
 * events then fall due 20 s apart: each on its own turn, as after a busy spell in which one of
 * them was claimed alone.
 */
async function outOfPhase() {
  const clock = new ManualClock(start);
  const data = generateDataset({
    races: 1,
    base: new Date(start.getTime() + 3 * HOUR),
    eventOffsetsMs: [0, 15 * MIN],
    registrationsPerEvent: 20,
  });
  const adapter = createScriptedAdapter({ clock, dataset: data, pageSize: 100, declarePageSize: true });
  const h = createHarness({ clock, adapter, schedule: { removalsWithRoom: false } });
  await settle(h.clock, h.engine.runOnce());
  const [first, second] = await h.store.listEvents();
  const t = h.clock.now().getTime();
  await h.store.updateSchedule({
    now: h.clock.now(),
    patches: [
      { provider: "scripted", eventId: first!.eventId, nextDueAt: new Date(t + 30 * SEC + 7) },
      { provider: "scripted", eventId: second!.eventId, nextDueAt: new Date(t + 50 * SEC + 7) },
    ],
  });
  h.adapter.resetLog();
  return h;
}

describe("a claimed race brings along its events falling due within half the most urgent interval", () => {
  it("two events due 20 s apart share one call a turn from the first claim on", async () => {
    const h = await outOfPhase();
    await h.engine.start();
    await h.clock.advance(10 * MIN + 20 * SEC);
    await settle(h.clock, h.engine.stop({ timeoutMs: 1000 }));
    const reads = h.adapter.calls.filter((c) => c.kind === "registrations");
    // Every read covers both events; one a minute (each event on its own turn would be two).
    expect(reads.every((c) => c.eventIds.length === 2)).toBe(true);
    expect(reads.length).toBeGreaterThanOrEqual(10);
    expect(reads.length).toBeLessThanOrEqual(11);
    // And a minute apart: no read seconds after another.
    const gaps = reads.slice(1).map((c, i) => new Date(c.at).getTime() - new Date(reads[i]!.at).getTime());
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(MIN);
  });

  it("runOnce brings nothing along: it claims only what is due when it begins", async () => {
    const h = await outOfPhase();
    await h.clock.advance(31 * SEC);
    const result = await settle(h.clock, h.engine.runOnce());
    expect(result.passes.map((p) => p.eventIds.length)).toEqual([1]);
  });
});
