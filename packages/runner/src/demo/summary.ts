import type { EngineStatus } from "@project88/core";

/**
 * The demo's closing count. The database holds the events discovery found; the fake RunSignUp
 * holds every event of its season, some outside the discovery window. Comparing those two totals
 * reads as lost data, so the summary counts the same set on both sides (the events discovered,
 * which the demo's connections can see) and names whatever differs.
 */

/** What the fake RunSignUp holds, seen from the demo's connections. */
export interface FakeCounts {
  /** Event ids some demo connection can see, with their active registrations at the fake. */
  readonly visible: ReadonlyMap<string, number>;
}

/** Counts on both sides and the reasons they differ. */
export interface CountComparison {
  readonly events: number;
  /** Active registrations in the database for the discovered events. */
  readonly stored: number;
  /** Active registrations at the fake for the same events. */
  readonly atProvider: number;
  /** Discovered events whose backfill has not finished. */
  readonly backfilling: { readonly events: number; readonly difference: number };
  /** Events past their start, which the engine no longer syncs while the fake may still change them. */
  readonly finished: { readonly events: number; readonly difference: number };
  /** Changes at the fake since an event's last pass; its next scheduled pass brings them in. */
  readonly sinceLastPass: { readonly events: number; readonly difference: number };
  /** Registrations in events the connections can see that discovery has not brought in (outside its window). */
  readonly undiscovered: { readonly events: number; readonly registrations: number };
}

/** Compares the database with the fake over the same events. */
export function compareCounts(status: EngineStatus, fake: FakeCounts): CountComparison {
  const discovered = status.events.filter((e) => fake.visible.has(e.eventId));
  const seen = new Set(discovered.map((e) => e.eventId));
  const result = {
    events: discovered.length,
    stored: 0,
    atProvider: 0,
    backfilling: { events: 0, difference: 0 },
    finished: { events: 0, difference: 0 },
    sinceLastPass: { events: 0, difference: 0 },
    undiscovered: { events: 0, registrations: 0 },
  };
  for (const e of discovered) {
    const target = fake.visible.get(e.eventId) ?? 0;
    result.stored += e.registrations;
    result.atProvider += target;
    const difference = target - e.registrations;
    if (difference === 0) continue;
    const bucket = !e.backfilled ? result.backfilling : e.tier === "done" ? result.finished : result.sinceLastPass;
    bucket.events += 1;
    bucket.difference += difference;
  }
  for (const [eventId, count] of fake.visible) {
    if (seen.has(eventId)) continue;
    result.undiscovered.events += 1;
    result.undiscovered.registrations += count;
  }
  return result;
}

const n = (value: number) => value.toLocaleString("en-US");
const signed = (value: number) => `${value > 0 ? "" : "+"}${n(-value)}`;
const events = (count: number) => `${n(count)} event${count === 1 ? "" : "s"}`;

/** The summary's registration lines: the like-for-like count, then each difference with its reason. */
export function describeComparison(c: CountComparison): string[] {
  const lines = [
    `  registrations: ${n(c.stored)} active in the database, ${n(c.atProvider)} at the fake RunSignUp, in the same ${events(c.events)}`,
  ];
  const difference = c.atProvider - c.stored;
  if (difference !== 0) {
    const reasons: string[] = [];
    if (c.sinceLastPass.events > 0)
      reasons.push(
        `${signed(c.sinceLastPass.difference)} in ${events(c.sinceLastPass.events)} changed at the fake since their last pass (the next scheduled pass brings them in)`,
      );
    if (c.backfilling.events > 0) reasons.push(`${signed(c.backfilling.difference)} in ${events(c.backfilling.events)} still backfilling`);
    if (c.finished.events > 0)
      reasons.push(`${signed(c.finished.difference)} in ${events(c.finished.events)} past their start, no longer synced`);
    lines.push(`  difference: the database has ${signed(difference)}: ${reasons.join("; ")}`);
  }
  if (c.undiscovered.events > 0) {
    lines.push(
      `  not compared: ${n(c.undiscovered.registrations)} registrations in ${events(c.undiscovered.events)} outside the discovery window (not synced by design)`,
    );
  }
  return lines;
}
