import { afterEach, describe, expect, it, vi } from "vitest";
import { MAX_TIMER_MS, RateLimitedError, systemClock } from "@project88/core";
import { MAX_RETRY_AFTER_MS, pauseFor } from "../src/pass-failure.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("timers and Retry-After", () => {
  it("a system timer longer than 2^31 ms waits its whole delay instead of firing after 1 ms", async () => {
    // The fake timers reproduce Node's overflow: a delay above 2^31 - 1 fires after 1 ms.
    vi.useFakeTimers();
    const fired = vi.fn();
    const asked = MAX_TIMER_MS + 86_400_000;
    systemClock.setTimeout(fired, asked);
    vi.advanceTimersByTime(60_000);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(asked - 60_000 - 1);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it("a long system timer can be cleared at any step, and a long sleep aborted", async () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    const handle = systemClock.setTimeout(fired, 3 * MAX_TIMER_MS);
    vi.advanceTimersByTime(MAX_TIMER_MS + 5);
    systemClock.clearTimeout(handle);
    vi.advanceTimersByTime(3 * MAX_TIMER_MS);
    expect(fired).not.toHaveBeenCalled();
    const stop = new AbortController();
    const sleeping = systemClock.sleep(10 * MAX_TIMER_MS, stop.signal);
    vi.advanceTimersByTime(MAX_TIMER_MS + 5);
    stop.abort(new Error("stopped"));
    await expect(sleeping).rejects.toThrow("stopped");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a Retry-After beyond one hour pauses the connection for one hour", () => {
    const now = new Date("2026-07-01T06:00:00Z");
    const week = new RateLimitedError("[scripted] 429", 7 * 86_400_000);
    expect(pauseFor(week, now)?.until.getTime()).toBe(now.getTime() + MAX_RETRY_AFTER_MS);
    expect(MAX_RETRY_AFTER_MS).toBe(3_600_000);
    const endless = new RateLimitedError("[scripted] 429", Number.POSITIVE_INFINITY);
    expect(pauseFor(endless, now)?.until.getTime()).toBe(now.getTime() + MAX_RETRY_AFTER_MS);
    const short = new RateLimitedError("[scripted] 429", 90_000);
    expect(pauseFor(short, now)?.until.getTime()).toBe(now.getTime() + 90_000);
  });
});
