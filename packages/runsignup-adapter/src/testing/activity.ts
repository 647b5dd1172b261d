/**
 * Random registration traffic for a running fake: the runner's demo calls it on a timer so new
 * registrations, changes, refunds and transfers keep arriving while the engine syncs.
 */
import type { FakeDataset, FakeRegistration, FakeRemoval } from "./dataset.js";

export interface ActivityOptions {
  /** New registrations (default 5). */
  readonly registrations?: number;
  /** Changed registrations (default 3). */
  readonly modifications?: number;
  /** Refunds (default 1). */
  readonly removals?: number;
  /** Transfers to another event of the same race (default 0). */
  readonly transfers?: number;
  /** Limit the traffic to these events (default: every event that starts after `now()`). */
  readonly eventIds?: readonly number[];
}

export interface ActivityResult {
  readonly registered: readonly FakeRegistration[];
  readonly modified: readonly FakeRegistration[];
  readonly removed: readonly FakeRemoval[];
  readonly transferred: readonly { removal: FakeRemoval; registration: FakeRegistration }[];
}

/** Applies one burst of random traffic, stamped with the dataset's `now()`. Seeded by its rng. */
export function simulateActivity(dataset: FakeDataset, options: ActivityOptions = {}): ActivityResult {
  const rng = dataset.rng;
  const now = dataset.now().getTime();
  const eventIds = options.eventIds ?? [...dataset.events.values()].filter((e) => e.startsAt.getTime() > now).map((e) => e.eventId);
  const out = {
    registered: [] as FakeRegistration[],
    modified: [] as FakeRegistration[],
    removed: [] as FakeRemoval[],
    transferred: [] as ActivityResult["transferred"][number][],
  };
  if (eventIds.length === 0) return out;
  const randomActive = (): FakeRegistration | null => {
    for (let tries = 0; tries < 10; tries++) {
      const list = dataset.activeOf(rng.pick(eventIds));
      if (list.length > 0) return list[rng.int(0, list.length - 1)]!;
    }
    return null;
  };
  for (let i = options.registrations ?? 5; i > 0; i--) out.registered.push(dataset.register(rng.pick(eventIds)));
  for (let i = options.modifications ?? 3; i > 0; i--) {
    const reg = randomActive();
    if (reg !== null) out.modified.push(dataset.modify(reg.registrationId));
  }
  for (let i = options.removals ?? 1; i > 0; i--) {
    const reg = randomActive();
    if (reg !== null) out.removed.push(dataset.remove(reg.registrationId));
  }
  for (let i = options.transfers ?? 0; i > 0; i--) {
    const reg = randomActive();
    if (reg === null) continue;
    const siblings = dataset.races.get(reg.raceId)!.events.map((e) => e.eventId);
    out.transferred.push(dataset.transfer(reg.registrationId, rng.pick(siblings)));
  }
  return out;
}
