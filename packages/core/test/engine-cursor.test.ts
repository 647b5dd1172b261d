import { describe, expect, it } from "vitest";
import { generateDataset } from "@project88/core/testing";
import { createHarness, settle } from "./engine-harness.js";

const START = "2026-07-01T06:30:00Z";
const base = new Date("2026-07-04T14:00:00Z");

function harness(delayMs = 0) {
  const data = generateDataset({ races: 1, base, eventOffsetsMs: [0, 3_600_000], registrationsPerEvent: 75 });
  const h = createHarness({ start: START, dataset: data, pageSize: 100 });
  h.adapter.setDelay(delayMs);
  return { h, data };
}

describe("cursor rule", () => {
  it("backfills new events page by page, then asks modifiedSince = previous signpost - overlap", async () => {
    const { h } = harness(2_000);
    const first = await settle(h.clock, h.engine.runOnce());
    expect(first.discovered).toBe(true);
    expect(first.passes.map((p) => [p.kind, p.ok])).toEqual([["backfill", true]]);
    const regs = await h.store.listRegistrations({ provider: "scripted" });
    expect(regs.filter((r) => r.status === "active")).toHaveLength(150);
    // Two events of one race: one coalesced call per page, both event ids in it.
    const regCalls = h.adapter.calls.filter((c) => c.kind === "registrations");
    expect(regCalls).toHaveLength(2);
    expect(regCalls.every((c) => c.eventIds.length === 2 && c.modifiedSince === null)).toBe(true);

    for (let round = 0; round < 4; round++) {
      const [state] = await h.store.listEvents();
      const due = state?.state.nextDueAt as Date;
      const previousCursor = state?.state.cursorAt as Date;
      h.adapter.dataset.modifyRegistration("100003", { bib: `B${round}` }, h.clock.now());
      h.adapter.resetLog();
      await h.clock.advanceTo(due);
      const result = await settle(h.clock, h.engine.runOnce());
      expect(result.passes.map((p) => p.kind)).toEqual(["incremental"]);
      const call = h.adapter.calls.find((c) => c.kind === "registrations");
      expect(call?.modifiedSince?.getTime()).toBe(previousCursor.getTime() - 60_000);
      const finish = h.events("sync:finish").at(-1);
      const start = h.log.filter((e) => e.name === "sync:start").at(-1);
      // The new cursor is the instant taken before the first request, not after the work.
      expect(finish?.cursorAt.getTime()).toBe(start?.at.getTime());
      expect(finish?.cursorAt.getTime()).toBeLessThan(call!.at.getTime() + 1);
      expect(finish?.durationMs).toBeGreaterThan(0);
      const reg = (await h.store.listRegistrations({ provider: "scripted" })).find((r) => r.registrationId === "100003");
      expect(reg?.bib).toBe(`B${round}`);
    }
  });

  it("a change made to an already-read page while a long pass runs is picked up by the next pass", async () => {
    const { h } = harness(120_000);
    await settle(h.clock, h.engine.runOnce());
    const [event] = await h.store.listEvents();
    // Every row changes, so the incremental pass has two pages (answered at S+120 s and S+240 s).
    for (let i = 0; i < 150; i++) h.adapter.dataset.modifyRegistration(String(100_000 + i), { chip: "C" }, h.clock.now());
    await h.clock.advanceTo(event?.state.nextDueAt as Date);
    const signpost = h.clock.now().getTime();
    const run = h.engine.runOnce();
    await h.clock.advance(150_000);
    // Page 1 was read at S+120 s; this row of page 1 changes at S+150 s, before the pass ends.
    h.adapter.dataset.modifyRegistration("100003", { bib: "LATE" }, h.clock.now());
    await settle(h.clock, run);
    const finish = h.events("sync:finish").at(-1);
    expect(finish?.cursorAt.getTime()).toBe(signpost);
    const after = await h.store.listEvents();
    await h.clock.advanceTo(after[0]?.state.nextDueAt as Date);
    h.adapter.resetLog();
    await settle(h.clock, h.engine.runOnce());
    expect(h.adapter.calls[0]?.modifiedSince?.getTime()).toBe(signpost - 60_000);
    const reg = (await h.store.listRegistrations({ provider: "scripted" })).find((r) => r.registrationId === "100003");
    expect(reg?.bib).toBe("LATE");
  });
});
