import { Secret, type ConnectionInput } from "@project88/core";

/** Zones the demo's races are spread over: American, European and Australian race mornings. */
export const DEMO_ZONES = [
  "America/New_York",
  "America/Denver",
  "America/Los_Angeles",
  "Europe/London",
  "Australia/Sydney",
  "Pacific/Honolulu",
];

/** Counts of what the mutator did to the fake provider. */
export interface MutationCounts {
  registered: number;
  modified: number;
  removed: number;
  transferred: number;
}

/** The fake RunSignUp the demo runs against, with its season and a mutator. */
export interface DemoProvider {
  /** REST root of the fake (loopback). */
  readonly url: string;
  readonly connections: readonly ConnectionInput[];
  readonly secrets: readonly Secret[];
  readonly mutations: MutationCounts;
  /** Active registrations at the fake for an event (the backfill target). */
  activeCount(eventId: string): number;
  /** Active registrations at the fake in total. */
  totalActive(): number;
  /** Active registrations per event id, for the events the demo's connections can see. */
  visibleCounts(): Map<string, number>;
  /** Starts changing registrations every `everyMs` (new, changed, refunded, transferred). */
  startMutations(everyMs: number): void;
  close(): Promise<void>;
}

export interface DemoProviderOptions {
  readonly seed: number;
  /** Registrations per event on average (about 700: three partners' season is then ~38,000). */
  readonly perEvent: number;
}

/**
 * Starts the fake RunSignUp from the adapter's testing export on loopback with a generated
 * season: three partners, six races each in six zones, three events a race, some starting within
 * the next hours. Imported lazily so the other commands never load the fake.
 */
export async function startDemoProvider(options: DemoProviderOptions): Promise<DemoProvider> {
  const { startFakeRunSignup } = await import("@project88/runsignup-adapter/testing");
  const fake = await startFakeRunSignup({
    port: 0,
    host: "127.0.0.1",
    season: {
      seed: options.seed,
      partners: ["Acme Timing", "Summit Results", "Coastal Chrono"],
      racesPerPartner: 6,
      eventsPerRace: 3,
      timezones: DEMO_ZONES,
      // Varied sizes around the average, the same for a given seed.
      registrationsPerEvent: (race, event) => Math.round(options.perEvent * (0.4 + ((race * 7 + event * 3) % 5) * 0.3)),
    },
  });
  const season = fake.season;
  if (!season) throw new Error("the fake RunSignUp did not generate a season");
  const connections = season.partners.map((_partner, index) => {
    const c = fake.connection(index);
    return {
      id: c.id,
      provider: c.provider,
      credentials: c.credentials,
      baseUrl: c.baseUrl,
      callsPerHour: 1000,
      maxInFlight: 2,
    } satisfies ConnectionInput;
  });
  const secrets = season.partners.flatMap((p) => [new Secret(p.key.apiKey), new Secret(p.key.apiSecret), new Secret(p.key.bearerToken)]);
  const mutations: MutationCounts = { registered: 0, modified: 0, removed: 0, transferred: 0 };
  const dataset = fake.dataset;
  let timer: NodeJS.Timeout | null = null;

  const pick = <T>(list: readonly T[]): T | undefined => list[Math.floor(Math.random() * list.length)];
  const mutate = () => {
    const now = Date.now();
    // Changes cluster on the events starting soonest, as they do on race morning.
    const soon = [...dataset.events.values()]
      .filter((e) => e.startsAt.getTime() > now)
      .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime())
      .slice(0, 8);
    const event = pick(soon);
    if (!event) return;
    for (let i = 1 + Math.floor(Math.random() * 4); i > 0; i--) {
      dataset.register(event.eventId);
      mutations.registered += 1;
    }
    const active = dataset.activeOf(event.eventId);
    const changed = pick(active);
    if (changed) {
      dataset.modify(changed.registrationId);
      mutations.modified += 1;
    }
    const roll = Math.random();
    const victim = pick(dataset.activeOf(event.eventId));
    if (victim && roll < 0.3) {
      dataset.remove(victim.registrationId);
      mutations.removed += 1;
    } else if (victim && roll < 0.45) {
      dataset.transfer(victim.registrationId);
      mutations.transferred += 1;
    }
  };

  return {
    url: fake.url,
    connections,
    secrets,
    mutations,
    activeCount: (eventId) => dataset.activeOf(Number(eventId)).length,
    visibleCounts: () => {
      const counts = new Map<string, number>();
      for (const partner of season.partners) {
        for (const race of dataset.racesFor(partner.key)) {
          for (const event of race.events) counts.set(String(event.eventId), dataset.activeOf(event.eventId).length);
        }
      }
      return counts;
    },
    totalActive: () => [...dataset.events.keys()].reduce((sum, id) => sum + dataset.activeOf(id).length, 0),
    startMutations(everyMs) {
      if (timer) return;
      timer = setInterval(mutate, everyMs);
    },
    async close() {
      if (timer) clearInterval(timer);
      timer = null;
      await fake.close();
    },
  };
}
