import type { BudgetLimits, BudgetTake } from "../store.js";
import { at, T0, type StoreTest, type StoreTestContext } from "./store-fixtures.js";

const HOUR = 3_600_000;
const TTL = 30_000;

function take(ctx: StoreTestContext, key: string, limits: BudgetLimits, now: Date, owner = "o"): Promise<BudgetTake> {
  return ctx.store.takeBudget({ key, owner, now, limits, slotTtlMs: TTL });
}

async function takeAndRelease(ctx: StoreTestContext, key: string, limits: BudgetLimits, now: Date): Promise<BudgetTake> {
  const result = await take(ctx, key, limits, now);
  if (result.granted) await ctx.store.releaseBudget({ key, slotId: result.slotId, now });
  return result;
}

/** The token bucket: burst, refill, in-flight slots with TTL, pauses and the grant log. */
export function budgetTests(test: StoreTest): void {
  test("a new key starts with a full bucket, then waits exactly for the next token", async (ctx) => {
    const key = ctx.id("budget-");
    // 3600 tokens an hour of refill: one a second.
    const limits = { callsPerHour: 3602, burst: 2, maxInFlight: 10 };
    ctx.expect(await takeAndRelease(ctx, key, limits, T0)).toMatchObject({ granted: true });
    ctx.expect(await takeAndRelease(ctx, key, limits, T0)).toMatchObject({ granted: true });
    const refused = await take(ctx, key, limits, T0);
    ctx.expect(refused).toMatchObject({ granted: false, reason: "tokens" });
    const wait = refused.granted ? -1 : refused.retryInMs;
    ctx.expect(wait).toBeGreaterThanOrEqual(999);
    ctx.expect(wait).toBeLessThanOrEqual(1001);
    ctx.expect(await take(ctx, key, limits, at(wait))).toMatchObject({ granted: true });
  });

  test("a take with a reserve leaves that many tokens; one without takes them, and the wait counts the reserve", async (ctx) => {
    const key = ctx.id("budget-");
    // One token a second of refill, burst 4.
    const limits = { callsPerHour: 3604, burst: 4, maxInFlight: 10 };
    const reserved = (now: Date) => ctx.store.takeBudget({ key, owner: "o", now, limits, slotTtlMs: TTL, reserve: 2 });
    const release = async (r: BudgetTake, now: Date) => {
      if (r.granted) await ctx.store.releaseBudget({ key, slotId: r.slotId, now });
    };
    for (let i = 0; i < 2; i++) {
      const r = await reserved(T0);
      ctx.expect(r).toMatchObject({ granted: true });
      await release(r, T0);
    }
    const refused = await reserved(T0);
    ctx.expect(refused).toMatchObject({ granted: false, reason: "tokens" });
    // Two tokens left, three needed (one plus the reserve): one more second of refill.
    const wait = refused.granted ? -1 : refused.retryInMs;
    ctx.expect(wait).toBeGreaterThanOrEqual(999);
    ctx.expect(wait).toBeLessThanOrEqual(1001);
    // A take without the reserve (the most urgent tier) still gets both reserved tokens.
    ctx.expect(await takeAndRelease(ctx, key, limits, T0)).toMatchObject({ granted: true });
    ctx.expect(await takeAndRelease(ctx, key, limits, T0)).toMatchObject({ granted: true });
    ctx.expect(await take(ctx, key, limits, T0)).toMatchObject({ granted: false, reason: "tokens" });
    // A reserve the bucket could never hold beyond one token is capped below the burst.
    const huge = await ctx.store.takeBudget({ key, owner: "o", now: at(10 * HOUR), limits, slotTtlMs: TTL, reserve: 99 });
    ctx.expect(huge).toMatchObject({ granted: true });
  });

  test("the bucket refills continuously at (callsPerHour - burst) per hour and never above burst", async (ctx) => {
    const key = ctx.id("budget-");
    // 360 an hour of refill: one token every 10 s.
    const limits = { callsPerHour: 370, burst: 10, maxInFlight: 100 };
    let granted = 0;
    for (let i = 0; i < 12; i++) if ((await takeAndRelease(ctx, key, limits, T0)).granted) granted++;
    ctx.expect(granted).toBe(10);
    granted = 0;
    for (let i = 0; i < 5; i++) if ((await takeAndRelease(ctx, key, limits, at(35_000))).granted) granted++;
    ctx.expect(granted).toBe(3);
    granted = 0;
    for (let i = 0; i < 15; i++) if ((await takeAndRelease(ctx, key, limits, at(10 * HOUR))).granted) granted++;
    ctx.expect(granted).toBe(10);
  });

  test("no rolling hour sees more than callsPerHour grants, however eagerly a caller retries", async (ctx) => {
    const key = ctx.id("budget-");
    const limits = { callsPerHour: 20, burst: 5, maxInFlight: 100 };
    const grants: number[] = [];
    let now = T0.getTime();
    while (now < T0.getTime() + 3 * HOUR) {
      const result = await takeAndRelease(ctx, key, limits, new Date(now));
      if (result.granted) grants.push(now);
      else now += Math.max(1, result.retryInMs);
    }
    for (const start of grants) ctx.expect(grants.filter((t) => t >= start && t < start + HOUR).length).toBeLessThanOrEqual(20);
    ctx.expect(grants.length).toBeGreaterThanOrEqual(5 + 3 * 15 - 1);
  });

  test("concurrent takes never grant more than the bucket holds", async (ctx) => {
    const key = ctx.id("budget-");
    const limits = { callsPerHour: 1000, burst: 5, maxInFlight: 100 };
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => take(ctx, key, limits, T0, `owner-${i % 3}`)));
    ctx.expect(results.filter((r) => r.granted)).toHaveLength(5);
    ctx.expect(results.filter((r) => !r.granted && r.reason === "tokens")).toHaveLength(15);
  });

  test("concurrent takes never hold more than maxInFlight slots; a release frees one", async (ctx) => {
    const key = ctx.id("budget-");
    const limits = { callsPerHour: 1000, burst: 50, maxInFlight: 3 };
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => take(ctx, key, limits, T0, `owner-${i % 2}`)));
    const granted = results.filter((r) => r.granted);
    ctx.expect(granted).toHaveLength(3);
    for (const r of results) if (!r.granted) ctx.expect(r).toMatchObject({ reason: "in-flight" });
    for (const r of results) if (!r.granted) ctx.expect(r.retryInMs).toBeGreaterThan(0);
    const [budget] = await ctx.store.getBudgets({ now: T0, keys: [key] });
    ctx.expect(budget).toMatchObject({ key, inFlight: 3, callsLastHour: 3 });
    const first = granted[0];
    if (first?.granted) await ctx.store.releaseBudget({ key, slotId: first.slotId, now: T0 });
    ctx.expect(await take(ctx, key, limits, T0)).toMatchObject({ granted: true });
    ctx.expect(await take(ctx, key, limits, T0)).toMatchObject({ granted: false, reason: "in-flight" });
  });

  test("a slot not released within its TTL is freed; releasing it later is a no-op", async (ctx) => {
    const key = ctx.id("budget-");
    const limits = { callsPerHour: 1000, burst: 50, maxInFlight: 1 };
    const held = await take(ctx, key, limits, T0);
    ctx.expect(held).toMatchObject({ granted: true });
    ctx.expect(await take(ctx, key, limits, at(TTL - 1))).toMatchObject({ granted: false, reason: "in-flight" });
    const next = await take(ctx, key, limits, at(TTL));
    ctx.expect(next).toMatchObject({ granted: true });
    if (held.granted) await ctx.store.releaseBudget({ key, slotId: held.slotId, now: at(TTL + 1) });
    await ctx.store.releaseBudget({ key, slotId: "no-such-slot", now: at(TTL + 1) });
    ctx.expect(await take(ctx, key, limits, at(TTL + 1))).toMatchObject({ granted: false, reason: "in-flight" });
  });

  test("a paused key refuses until the pause ends; the later pause wins", async (ctx) => {
    const key = ctx.id("budget-");
    const limits = { callsPerHour: 1000, burst: 5, maxInFlight: 2 };
    ctx.expect(await takeAndRelease(ctx, key, limits, T0)).toMatchObject({ granted: true });
    await ctx.store.pauseBudget({ key, now: T0, until: at(60_000), reason: "throttled" });
    await ctx.store.pauseBudget({ key, now: T0, until: at(30_000), reason: "shorter" });
    ctx.expect(await take(ctx, key, limits, at(10_000))).toEqual({ granted: false, reason: "paused", retryInMs: 50_000 });
    const [state] = await ctx.store.getBudgets({ now: at(10_000), keys: [key] });
    ctx.expect(state).toMatchObject({ key, pausedUntil: at(60_000), pauseReason: "throttled" });
    await ctx.store.pauseBudget({ key, now: at(10_000), until: at(90_000), reason: "auth" });
    ctx.expect(await take(ctx, key, limits, at(60_000))).toMatchObject({ granted: false, reason: "paused", retryInMs: 30_000 });
    ctx.expect(await take(ctx, key, limits, at(90_000))).toMatchObject({ granted: true });
  });

  test("getBudgets reports tokens, in-flight slots and the grants of the last hour", async (ctx) => {
    const key = ctx.id("budget-");
    const limits = { callsPerHour: 3610, burst: 10, maxInFlight: 10 };
    for (let i = 0; i < 3; i++) await takeAndRelease(ctx, key, limits, T0);
    await takeAndRelease(ctx, key, limits, at(HOUR / 2));
    await take(ctx, key, limits, at(HOUR / 2));
    const [mid] = await ctx.store.getBudgets({ now: at((3 * HOUR) / 4), keys: [key] });
    ctx.expect(mid).toMatchObject({ key, callsLastHour: 5, tokens: 10, pausedUntil: null });
    const [late] = await ctx.store.getBudgets({ now: at(HOUR + 1), keys: [key] });
    ctx.expect(late).toMatchObject({ callsLastHour: 2, inFlight: 0 });
    const all = await ctx.store.getBudgets({ now: at(HOUR + 1) });
    ctx.expect(all.map((b) => b.key)).toContain(key);
  });
}
