import { describe, expect, it } from "vitest";
import { checkBudgetLimits, decideTake, refillBucket } from "../src/token-bucket.js";

const limits = { callsPerHour: 1000, burst: 20, maxInFlight: 2 };
const t0 = new Date("2026-07-01T00:00:00Z");
const at = (ms: number) => new Date(t0.getTime() + ms);
const take = (over: Partial<Parameters<typeof decideTake>[0]> = {}) =>
  decideTake({ bucket: { tokens: 5, refilledAt: t0 }, limits, now: t0, pausedUntil: null, inFlight: 0, soonestSlotExpiry: null, ...over });

describe("token bucket", () => {
  it("a new key starts full and refills at callsPerHour - burst an hour, never past burst", () => {
    expect(refillBucket({ tokens: null, refilledAt: t0 }, limits, at(1000))).toEqual({ tokens: 20, refilledAt: at(1000) });
    // 980 an hour: one token every 3,673.47 ms.
    expect(refillBucket({ tokens: 0, refilledAt: t0 }, limits, at(3_600_000 / 980)).tokens).toBeCloseTo(1, 3);
    expect(refillBucket({ tokens: 19, refilledAt: t0 }, limits, at(3_600_000)).tokens).toBe(20);
  });

  it("a caller whose clock is behind the last refill adds nothing", () => {
    expect(refillBucket({ tokens: 3, refilledAt: t0 }, limits, at(-60_000))).toEqual({ tokens: 3, refilledAt: t0 });
  });

  it.each([
    [
      "paused wins over everything",
      { pausedUntil: at(5000), bucket: { tokens: 0, refilledAt: t0 }, inFlight: 2 },
      { granted: false, reason: "paused", retryInMs: 5000 },
    ],
    [
      "an empty bucket says when the next token comes",
      { bucket: { tokens: 0.5, refilledAt: t0 } },
      { granted: false, reason: "tokens", retryInMs: 1837 },
    ],
    [
      "no refill configured: an hour",
      { bucket: { tokens: 0, refilledAt: t0 }, limits: { callsPerHour: 20, burst: 20, maxInFlight: 2 } },
      { granted: false, reason: "tokens", retryInMs: 3_600_000 },
    ],
    [
      "both slots busy: poll until the first one expires, at most 250 ms",
      { inFlight: 2, soonestSlotExpiry: at(100) },
      { granted: false, reason: "in-flight", retryInMs: 100 },
    ],
    [
      "both slots busy for long: a 250 ms poll",
      { inFlight: 2, soonestSlotExpiry: at(60_000) },
      { granted: false, reason: "in-flight", retryInMs: 250 },
    ],
    ["a pause already over does not refuse", { pausedUntil: at(-1) }, { granted: true, bucket: { tokens: 4, refilledAt: t0 } }],
  ] as const)("%s", (_label, over, expected) => {
    expect(take(over as Partial<Parameters<typeof decideTake>[0]>)).toEqual(expected);
  });

  it("limits no bucket can honour are refused, naming the store and key", () => {
    expect(() => checkBudgetLimits("memory-store", "k1", { callsPerHour: 10, burst: 20, maxInFlight: 2 })).toThrow(
      /\[memory-store\] budget k1: limits/,
    );
    expect(() => checkBudgetLimits("postgres-store", "k2", { callsPerHour: 1000, burst: 20, maxInFlight: 1.5 })).toThrow(
      /integer maxInFlight/,
    );
  });
});
