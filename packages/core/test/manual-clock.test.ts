import { describe, expect, it } from "vitest";
import { ManualClock } from "@project88/core/testing";

const START = "2026-01-01T00:00:00Z";

describe("ManualClock", () => {
  it("fires due timers in time order, ties in creation order, each at its own instant", async () => {
    const clock = new ManualClock(START);
    const fired: string[] = [];
    const stamp = (name: string) => () => fired.push(`${name}@${clock.now().getTime() - Date.parse(START)}`);
    clock.setTimeout(stamp("c"), 300);
    clock.setTimeout(stamp("a"), 100);
    clock.setTimeout(stamp("b1"), 200);
    clock.setTimeout(stamp("b2"), 200);
    clock.setTimeout(stamp("late"), 1000);
    await clock.advance(500);
    expect(fired).toEqual(["a@100", "b1@200", "b2@200", "c@300"]);
    expect(clock.now().toISOString()).toBe("2026-01-01T00:00:00.500Z");
    expect(clock.pendingTimers).toBe(1);
  });

  it("fires timers that fired timers schedule inside the window, and lets their async work settle", async () => {
    const clock = new ManualClock(START);
    const ticks: number[] = [];
    const loop = (async () => {
      for (let i = 0; i < 5; i++) {
        await clock.sleep(1000);
        ticks.push(clock.now().getTime() - Date.parse(START));
      }
    })();
    await clock.advance(4999);
    expect(ticks).toEqual([1000, 2000, 3000, 4000]);
    await clock.advance(1);
    await loop;
    expect(ticks).toEqual([1000, 2000, 3000, 4000, 5000]);
  });

  it("clearTimeout stops a timer; set moves time without firing and never backwards", async () => {
    const clock = new ManualClock(START);
    let fired = 0;
    const handle = clock.setTimeout(() => fired++, 100);
    clock.clearTimeout(handle);
    clock.setTimeout(() => fired++, 200);
    clock.set("2026-01-01T00:00:01Z");
    expect(fired).toBe(0);
    clock.set(START);
    expect(clock.now().toISOString()).toBe("2026-01-01T00:00:01.000Z");
    await clock.advance(0);
    expect(fired).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it("sleep rejects with the signal's reason on abort and leaves no timer behind", async () => {
    const clock = new ManualClock(START);
    const controller = new AbortController();
    const reason = new Error("stopping");
    const sleeping = clock.sleep(60_000, controller.signal);
    await clock.advance(30_000);
    expect(clock.pendingTimers).toBe(1);
    controller.abort(reason);
    await expect(sleeping).rejects.toBe(reason);
    expect(clock.pendingTimers).toBe(0);
  });

  it("sleep on an already aborted signal rejects at once without a timer", async () => {
    const clock = new ManualClock(START);
    const reason = new Error("already");
    await expect(clock.sleep(10, AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(clock.pendingTimers).toBe(0);
  });

  it("a sleep that ends before the abort resolves", async () => {
    const clock = new ManualClock(START);
    const controller = new AbortController();
    const sleeping = clock.sleep(1000, controller.signal);
    await clock.advance(1000);
    controller.abort(new Error("too late"));
    await expect(sleeping).resolves.toBeUndefined();
  });
});
