import { describe, expect, it } from "vitest";
import { AbortedError, type BudgetLimits, ConnectionPausedError, createBudget } from "@project88/core";
import { backoffDelayMs } from "../src/backoff.js";
import { createMemoryStore, ManualClock } from "@project88/core/testing";

/** A budget of key `k` over a fresh memory store, on a manual clock. */
function memoryBudget(limits: BudgetLimits, urgentReserve?: number) {
  const clock = new ManualClock("2026-07-01T00:00:00Z");
  const store = createMemoryStore();
  const budget = createBudget({ store, clock, key: "k", owner: "o", limits, slotTtlMs: 60_000, urgentReserve });
  return { clock, store, budget };
}

describe("createBudget", () => {
  it("grants the burst, then waits on the engine clock for the refill; never more than maxInFlight", async () => {
    // burst 2, then (62 - 2) per hour: one token a minute.
    const { clock, store, budget } = memoryBudget({ callsPerHour: 62, burst: 2, maxInFlight: 1 });
    const first = await budget.acquire();
    let second = false;
    const pending = budget.acquire().then((slot) => {
      second = true;
      return slot;
    });
    await clock.advance(0);
    expect(second).toBe(false); // in flight: one slot at a time
    first.release();
    await clock.advance(0);
    expect(second).toBe(true);
    (await pending).release();
    let third = false;
    const waiting = budget.acquire().then((slot) => {
      third = true;
      slot.release();
    });
    await clock.advance(59_000);
    expect(third).toBe(false); // the bucket is empty until a minute of refill
    await clock.advance(1_000);
    await waiting;
    expect(third).toBe(true);
    const [state] = await store.getBudgets({ now: clock.now(), keys: ["k"] });
    expect(state?.callsLastHour).toBe(3);
  });

  it("a less urgent waiter leaves the urgent reserve and gives up its turn while short, so an urgent one arriving later goes first", async () => {
    // burst 4, reserve 2; 3604 an hour: one token a second.
    const { clock, budget } = memoryBudget({ callsPerHour: 3604, burst: 4, maxInFlight: 4 }, 2);
    const order: string[] = [];
    const take = (name: string, priority: number) =>
      budget.acquire(undefined, priority).then((slot) => {
        order.push(name);
        slot.release();
      });
    await Promise.all([take("medium-1", 2), take("medium-2", 2)]);
    // Two tokens left: the reserve. A third medium call waits for the refill...
    const medium = take("medium-3", 2);
    await clock.advance(100);
    expect(order).toEqual(["medium-1", "medium-2"]);
    // ...and an urgent call arriving meanwhile takes a reserved token at once.
    await take("high", 0);
    expect(order).toEqual(["medium-1", "medium-2", "high"]);
    await clock.advance(2_000);
    await medium;
    expect(order).toEqual(["medium-1", "medium-2", "high", "medium-3"]);
  });

  it("waits out a short pause of its key, but not an hour's: that request fails at once with ConnectionPausedError", async () => {
    const clock = new ManualClock("2026-07-01T00:00:00Z");
    const store = createMemoryStore();
    const budget = createBudget({
      store,
      clock,
      key: "k",
      owner: "o",
      limits: { callsPerHour: 1000, burst: 20, maxInFlight: 2 },
      slotTtlMs: 60_000,
    });
    await store.pauseBudget({ key: "k", now: clock.now(), until: new Date(clock.now().getTime() + 30_000), reason: "rate-limited" });
    let granted = false;
    const short = budget.acquire().then((slot) => {
      granted = true;
      slot.release();
    });
    await clock.advance(29_000);
    expect(granted).toBe(false);
    await clock.advance(1_000);
    await short;
    expect(granted).toBe(true);
    const until = new Date(clock.now().getTime() + 3_600_000);
    await store.pauseBudget({ key: "k", now: clock.now(), until, reason: "credentials rejected" });
    const error = await budget.acquire().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionPausedError);
    expect(error).toBeInstanceOf(AbortedError);
    expect((error as ConnectionPausedError).until).toEqual(until);
  });

  it("rejects with the signal's reason when aborted while waiting", async () => {
    const clock = new ManualClock("2026-07-01T00:00:00Z");
    const budget = createBudget({
      store: createMemoryStore(),
      clock,
      key: "k",
      owner: "o",
      limits: { callsPerHour: 1, burst: 1, maxInFlight: 1 },
      slotTtlMs: 60_000,
    });
    (await budget.acquire()).release();
    const controller = new AbortController();
    const waiting = budget.acquire(controller.signal);
    await clock.advance(1_000);
    controller.abort(new Error("stop"));
    await expect(waiting).rejects.toThrow("stop");
  });
});

describe("backoffDelayMs", () => {
  it("grows exponentially with full jitter between half the base and the cap", () => {
    expect(backoffDelayMs(1, 30_000, 1_800_000, () => 0)).toBe(15_000);
    expect(backoffDelayMs(1, 30_000, 1_800_000, () => 1)).toBe(30_000);
    expect(backoffDelayMs(3, 30_000, 1_800_000, () => 1)).toBe(120_000);
    expect(backoffDelayMs(20, 30_000, 1_800_000, () => 1)).toBe(1_800_000);
    expect(backoffDelayMs(20, 30_000, 1_800_000, () => 0.5)).toBe(907_500);
  });
});
