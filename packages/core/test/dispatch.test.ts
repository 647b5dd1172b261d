import { describe, expect, it } from "vitest";
import {
  claimLanes,
  decideClaimedRace,
  decideManualRace,
  heldAdmission,
  laneRoom,
  pickHeld,
  splitDue,
  type BudgetView,
  type ClaimedRaceDecision,
  type ClaimedRaceInput,
  type ConnectionView,
  type HeldView,
  type ManualRaceDecision,
} from "../src/dispatch.js";

const now = new Date("2026-06-13T12:00:00Z");
const at = (ms: number) => new Date(now.getTime() + ms);

/** A connection with its own budget key, `maxInFlight` 2 unless said otherwise. */
const conn = (id: string, running: number, maxInFlight = 2): ConnectionView => ({
  conn: { id, budgetKey: `key-${id}`, burst: 20, maxInFlight },
  running,
});
const budget = (id: string, tokens: number, pausedUntil: Date | null = null): BudgetView => ({ key: `key-${id}`, tokens, pausedUntil });
/** One event seen by `ids`, refused to `forbidden`. */
const event = (ids: string[], forbidden: string[] = []) => ({
  connectionIds: ids,
  forbidden: forbidden.map((connectionId) => ({
    connectionId,
    since: now,
    error: { name: "ForbiddenError", code: "FORBIDDEN", message: "refused", retryable: false },
  })),
});

interface Case {
  readonly connections: readonly ConnectionView[];
  readonly events?: ClaimedRaceInput["events"];
  readonly budgets?: readonly BudgetView[];
  readonly priority?: number;
  readonly urgentLanes?: boolean;
  readonly held?: Record<string, number>;
}

const decide = (c: Case): ClaimedRaceDecision =>
  decideClaimedRace({
    events: c.events ?? [event(c.connections.map((s) => s.conn.id))],
    priority: c.priority ?? 2,
    now,
    connections: new Map(c.connections.map((s) => [s.conn.id, s])),
    budgets: c.budgets ?? [],
    urgentLanes: c.urgentLanes ?? false,
    held: new Map(Object.entries(c.held ?? {})),
  });

describe("decideClaimedRace: start, hold, hand back or defer", () => {
  it.each<[string, Case, ClaimedRaceDecision]>([
    [
      "a race starts on the ordinary lane of a connection with a free slot",
      { connections: [conn("a", 1)] },
      { action: "start", connectionId: "a", lane: "ordinary" },
    ],
    [
      "a race starts on the connection with the most tokens left less its running passes",
      { connections: [conn("a", 0), conn("b", 1)], budgets: [budget("a", 5), budget("b", 10)] },
      { action: "start", connectionId: "b", lane: "ordinary" },
    ],
    [
      "equal tokens less running: the connection running fewer passes",
      { connections: [conn("a", 1), conn("b", 0)], budgets: [budget("a", 6), budget("b", 5)] },
      { action: "start", connectionId: "b", lane: "ordinary" },
    ],
    [
      "a key the store has not seen yet counts as a full bucket",
      { connections: [conn("a", 0), conn("b", 0)], budgets: [budget("a", 19)] },
      { action: "start", connectionId: "b", lane: "ordinary" },
    ],
    [
      "an urgent race starts on the urgent lane of a saturated connection",
      { connections: [conn("a", 2)], priority: 0 },
      { action: "start", connectionId: "a", lane: "urgent" },
    ],
    [
      "an urgent race prefers a free ordinary lane when it has more tokens",
      { connections: [conn("a", 2), conn("b", 0)], budgets: [budget("a", 5), budget("b", 5)], priority: 0 },
      { action: "start", connectionId: "b", lane: "ordinary" },
    ],
    [
      "a race is never started past both lanes of a connection",
      { connections: [conn("a", 4)], priority: 0 },
      { action: "hold", connectionId: "a" },
    ],
    ["a non-urgent race on a saturated connection is held for it", { connections: [conn("a", 2)] }, { action: "hold", connectionId: "a" }],
    [
      "a race every connection of which is saturated is held for the one with most tokens",
      { connections: [conn("a", 2), conn("b", 2)], budgets: [budget("a", 3), budget("b", 9)] },
      { action: "hold", connectionId: "b" },
    ],
    [
      "a claim for urgent lanes holds nothing",
      { connections: [conn("a", 2)], urgentLanes: true },
      { action: "handBack", reason: "urgentClaim" },
    ],
    [
      "at most maxInFlight races are held per connection: the next is handed back",
      { connections: [conn("a", 2)], held: { a: 2 } },
      { action: "handBack", reason: "holdFull" },
    ],
    [
      "a connection holding fewer than maxInFlight races holds one more",
      { connections: [conn("a", 2)], held: { a: 1 } },
      { action: "hold", connectionId: "a" },
    ],
    [
      "a race seen only through a forbidden link is handed back",
      { connections: [conn("a", 0)], events: [event(["a"], ["a"])] },
      { action: "handBack", reason: "unseen" },
    ],
    [
      "a link forbidden on one event of the race is not used for its other events",
      {
        connections: [conn("a", 0), conn("b", 1)],
        budgets: [budget("a", 20), budget("b", 1)],
        events: [event(["a", "b"], ["a"]), event(["a", "b"])],
      },
      { action: "start", connectionId: "b", lane: "ordinary" },
    ],
    [
      "a race no connection of this engine sees is handed back",
      { connections: [conn("a", 0)], events: [event(["elsewhere"])] },
      { action: "handBack", reason: "unseen" },
    ],
    [
      "every connection paused: defer until the first pause ends",
      { connections: [conn("a", 0), conn("b", 0)], budgets: [budget("a", 5, at(120_000)), budget("b", 5, at(60_000))] },
      { action: "defer", until: at(60_000) },
    ],
    [
      "a paused connection is passed over for one that is not",
      { connections: [conn("a", 0), conn("b", 1)], budgets: [budget("a", 20, at(60_000)), budget("b", 1)] },
      { action: "start", connectionId: "b", lane: "ordinary" },
    ],
    [
      "a pause already over does not defer",
      { connections: [conn("a", 0)], budgets: [budget("a", 5, at(-1))] },
      { action: "start", connectionId: "a", lane: "ordinary" },
    ],
    [
      "a saturated race whose every connection is paused is handed back, not held",
      { connections: [conn("a", 2)], budgets: [budget("a", 5, at(60_000))] },
      { action: "handBack", reason: "paused" },
    ],
  ])("%s", (_rule, input, expected) => {
    expect(decide(input)).toEqual(expected);
  });
});

describe("decideManualRace: what syncEvent does with the events it claimed", () => {
  const run = (c: Case) =>
    decideManualRace({
      events: c.events ?? [event(c.connections.map((s) => s.conn.id))],
      now,
      connections: new Map(c.connections.map((s) => [s.conn.id, s])),
      budgets: c.budgets ?? [],
    });
  it.each<[string, Case, ManualRaceDecision]>([
    ["syncEvent starts even on a connection with both lanes full", { connections: [conn("a", 4)] }, { action: "start", connectionId: "a" }],
    [
      "syncEvent with every connection paused hands back, naming no refusal",
      { connections: [conn("a", 0)], budgets: [budget("a", 5, at(60_000))] },
      { action: "handBack", refusedBy: null },
    ],
    [
      "syncEvent on a race refused to every connection of this engine that sees it names them",
      {
        connections: [conn("b", 0), conn("a", 0), conn("c", 0)],
        events: [event(["a", "b", "other"], ["b", "other"]), event(["a"], ["a"])],
      },
      { action: "handBack", refusedBy: ["a", "b"] },
    ],
    [
      "syncEvent on a race no connection of this engine sees hands back, naming no refusal",
      { connections: [conn("a", 0)], events: [event(["elsewhere"])] },
      { action: "handBack", refusedBy: null },
    ],
  ])("%s", (_rule, input, expected) => {
    expect(run(input)).toEqual(expected);
  });
});

describe("splitDue: which claimed events a runOnce pass takes", () => {
  const e = (id: string, dueAt: Date | null) => ({ id, state: { nextDueAt: dueAt } });
  const race = [e("due", at(-1)), e("exactly", now), e("later", at(1)), e("never", null)];

  it.each<[string, Date | undefined, string[], string[]]>([
    ["without dueBy every claimed event is due", undefined, ["due", "exactly", "later", "never"], []],
    ["with dueBy, events due after it (or never) are handed back", now, ["due", "exactly"], ["later", "never"]],
  ])("%s", (_rule, dueBy, due, later) => {
    const split = splitDue(race, dueBy);
    expect(split.due.map((x) => x.id)).toEqual(due);
    expect(split.later.map((x) => x.id)).toEqual(later);
  });
});

describe("pickHeld: which held race goes next", () => {
  const h = (priority: number, dueAt: number): HeldView => ({ priority, dueAt });
  it.each<[string, HeldView[], number | undefined, number | null]>([
    ["an empty queue gives nothing", [], undefined, null],
    ["the most urgent tier goes first", [h(2, 0), h(1, 100)], undefined, 1],
    ["within a tier, the most overdue goes first", [h(1, 200), h(1, 100)], undefined, 1],
    ["equals go in claim order", [h(1, 100), h(1, 100)], undefined, 0],
    ["only the urgent lane free: an urgent held race goes", [h(2, 0), h(0, 500)], 0, 1],
    ["only the urgent lane free: no urgent held race, nothing goes", [h(1, 0), h(2, 0)], 0, null],
  ])("%s", (_rule, queue, atMostPriority, expected) => {
    expect(pickHeld(queue, atMostPriority)).toBe(expected);
  });
});

describe("heldAdmission: which held races a connection may start", () => {
  it.each<[string, ConnectionView, ReturnType<typeof heldAdmission>]>([
    ["a free ordinary lane takes any held race", conn("a", 1), {}],
    ["only the urgent lane free: urgent held races only", conn("a", 2), { atMostPriority: 0 }],
    ["both lanes full: no held race starts", conn("a", 4), null],
  ])("%s", (_rule, slot, expected) => {
    expect(heldAdmission(slot)).toEqual(expected);
  });
});

describe("claimLanes and laneRoom: how much room each lane has for a claim round", () => {
  const slots = [conn("free", 0), conn("half", 1), conn("saturated", 2), conn("urgent-half", 3), conn("full", 4)];
  const ids = (list: readonly ConnectionView[]) => list.map((s) => s.conn.id);

  it("the ordinary claim is for connections with a free in-flight slot, the urgent claim for the saturated ones with a free urgent lane", () => {
    const { ordinary, urgentOnly } = claimLanes(slots);
    expect(ids(ordinary)).toEqual(["free", "half"]);
    expect(ids(urgentOnly)).toEqual(["saturated", "urgent-half"]);
  });

  it.each<[string, ConnectionView[], boolean, number]>([
    ["ordinary room is the free in-flight slots", [conn("a", 0), conn("b", 1)], false, 3],
    ["urgent room is what is left of twice maxInFlight", [conn("a", 2), conn("b", 3)], true, 3],
    ["no connections, no room", [], false, 0],
  ])("%s", (_rule, lanes, urgent, expected) => {
    expect(laneRoom(lanes, urgent)).toBe(expected);
  });
});
