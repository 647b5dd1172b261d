import { describe, expect, it } from "vitest";
import { resolveSchedule } from "@project88/core";
import { finishStates } from "../src/pass-states.js";
import type { StoredEvent } from "../src/store.js";
import { storedEvent } from "./stored-event.js";

const schedule = resolveSchedule({});
const start = new Date("2026-09-12T14:00:00Z");

/** A backfilled medium-tier event (start 14:00, high tier from 10:00), last due at 09:15. */
function mediumEvent(): StoredEvent {
  return storedEvent("e1", start, {
    tier: "medium",
    priority: 2,
    nextDueAt: new Date("2026-09-12T09:15:00Z"),
    cursorAt: new Date("2026-09-12T09:00:00Z"),
    removalsCursorAt: new Date("2026-09-12T09:00:00Z"),
    removalsDueAt: new Date("2026-09-12T09:15:00Z"),
    backfillAfter: null,
    backfilledAt: new Date("2026-09-01T00:00:00Z"),
    reconcileDueAt: null,
    lastReconciledAt: null,
    lastSuccessAt: null,
    lastError: null,
    failures: 0,
    leaseOwner: "p",
    leaseExpiresAt: null,
  });
}

describe("finishStates: a pass's next due instant counts from its read", () => {
  const outcome = {
    kind: "reconcile" as const,
    signpost: new Date("2026-09-12T09:15:00Z"),
    cursorAt: new Date("2026-09-12T09:15:00Z"),
    removalsRan: false,
    resumed: false,
  };

  it("a pass that waited for the budget from the medium tier into the high tier is next due a minute after its read", () => {
    // Signposted 09:15, committed 10:02: not due again at 09:30 (past) as medium, which would
    // read the race again at once, but at 10:03 as high.
    const [patch] = finishStates([mediumEvent()], { ...outcome, committedAt: new Date("2026-09-12T10:02:00Z") }, schedule);
    expect(patch).toMatchObject({ tier: "high", priority: 0, nextDueAt: new Date("2026-09-12T10:03:00Z") });
    // Its cursor is still the signpost: what changed while it waited is read again next time.
    expect(patch?.cursorAt).toEqual(new Date("2026-09-12T09:15:00Z"));
  });

  it("one that committed at once stays on its tier's grid", () => {
    const [patch] = finishStates([mediumEvent()], { ...outcome, committedAt: new Date("2026-09-12T09:15:07Z") }, schedule);
    expect(patch).toMatchObject({ tier: "medium", priority: 2, nextDueAt: new Date("2026-09-12T09:30:00Z") });
  });
});

describe("finishStates: a planned reconciliation brings the next due instant forward", () => {
  const base = {
    signpost: new Date("2026-09-12T09:15:00Z"),
    cursorAt: new Date("2026-09-12T09:15:00Z"),
    removalsRan: false,
  };

  it("an incremental pass with a reconciliation planned before its next turn is next due then", () => {
    const event = mediumEvent();
    const planned = { ...event, state: { ...event.state, reconcileDueAt: new Date("2026-09-12T09:20:00Z") } };
    const [patch] = finishStates([planned], { ...base, kind: "incremental", resumed: false }, schedule);
    expect(patch).toMatchObject({ tier: "medium", nextDueAt: new Date("2026-09-12T09:20:00Z") });
  });

  it("a resumed backfill plans its reconciliation right after: due at its own signpost, never before it", () => {
    const [patch] = finishStates([mediumEvent()], { ...base, kind: "backfill", resumed: true }, schedule);
    expect(patch).toMatchObject({ reconcileDueAt: base.signpost, nextDueAt: base.signpost });
  });
});
