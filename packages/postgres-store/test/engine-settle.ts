import { setTimeout as realDelay } from "node:timers/promises";
import type { ManualClock } from "@project88/core/testing";

/**
 * Runs `work` while the manual clock moves on in small steps (budget waits, backoffs). Each step
 * first gives real time to PostgreSQL's round trips, so the simulated clock never races past a
 * lease while a query is still in flight.
 */
export async function settle<T>(clock: ManualClock, work: Promise<T>, stepMs = 250): Promise<T> {
  let done = false;
  const tracked = work.finally(() => {
    done = true;
  });
  tracked.catch(() => undefined);
  await clock.advance(0);
  for (let i = 0; i < 20_000 && !done; i++) {
    await realDelay(2);
    if (!done) await clock.advance(stepMs);
  }
  return tracked;
}
