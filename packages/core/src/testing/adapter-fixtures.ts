// What the adapter conformance suite's files share: the test context, the seeded people and their instants.

import type { CallContext } from "../adapter.js";
import type { Page } from "../types.js";
import type { AdapterHarness, SeededProvider, SeedRaceSpec } from "./adapter-harness.js";
import type { ConformanceExpectation } from "./conformance-api.js";
import type { CountingBudget } from "./counting-budget.js";

/** What each adapter test receives. */
export interface AdapterTestContext {
  readonly harness: AdapterHarness;
  readonly budget: CountingBudget;
  readonly controller: AbortController;
  readonly ctx: CallContext;
  readonly expect: (actual: unknown) => ConformanceExpectation;
}

/** Registers one test with a fresh harness, checking the budget's books after it. */
export type AdapterTest = (name: string, body: (t: AdapterTestContext) => Promise<void>) => void;

export const T0 = new Date("2026-05-02T12:00:00Z");
export const MIN = 60_000;

/** Whole seconds after T0 - 1 day: the registrations' last-modified instants. */
export function modified(seconds: number): Date {
  return new Date(T0.getTime() - 86_400_000 + seconds * 1000);
}

/** `count` people named `First<i>` `Last<i>`, modified `i` seconds apart. */
export function people(count: number, from = 0): SeedRaceSpec["events"][number]["registrations"] {
  return Array.from({ length: count }, (_, i) => ({
    firstName: `First${from + i}`,
    lastName: `Last${from + i}`,
    modifiedAt: modified(from + i),
  }));
}

/** Every page of a pull, in order. */
export async function collect<Row>(pages: AsyncIterable<Page<Row>>): Promise<Page<Row>[]> {
  const out: Page<Row>[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

/** Seeds one race (UTC unless `timezone`) with one event, "Run", of `count` people. */
export function seedOneEvent(
  harness: AdapterHarness,
  race: { readonly name: string; readonly count: number; readonly timezone?: string },
): Promise<SeededProvider> {
  return harness.seed({
    races: [
      {
        name: race.name,
        timezone: race.timezone ?? "UTC",
        events: [{ name: "Run", startsAt: new Date("2026-05-03T12:00:00Z"), registrations: people(race.count) }],
      },
    ],
  });
}
