import type { ProviderAdapter } from "../adapter.js";
import type { Connection, RemovalReason } from "../types.js";

/** A registration to create at the fake provider. */
export interface SeedRegistrationSpec {
  readonly firstName: string;
  readonly lastName: string;
  /** Last-modified instant, in whole seconds (providers filter by whole seconds). */
  readonly modifiedAt: Date;
}

/** An event to create, with its registrations. */
export interface SeedEventSpec {
  readonly name: string;
  /** Start instant, in whole minutes; the harness stores it in the race's zone as the provider would. */
  readonly startsAt: Date;
  readonly registrations: readonly SeedRegistrationSpec[];
}

/** A race to create. */
export interface SeedRaceSpec {
  readonly name: string;
  /** IANA zone of the race; the provider's wall-clock times are in it. */
  readonly timezone: string;
  readonly events: readonly SeedEventSpec[];
}

/** What to create at the provider: the suite's data, in provider-neutral terms. */
export interface AdapterSeedSpec {
  readonly races: readonly SeedRaceSpec[];
}

/** The provider's ids for what was seeded, in the order of the spec. */
export interface SeededProvider {
  /** A connection whose credentials see every seeded race. */
  readonly connection: Connection;
  readonly races: readonly {
    readonly raceId: string;
    readonly events: readonly {
      readonly eventId: string;
      readonly registrationIds: readonly string[];
    }[];
  }[];
}

/**
 * A failure the fake provider answers with, the way the real one reports it. `auth`: the key is
 * rejected; `forbidden`: the key works but the provider refuses this race to it (RunSignUp: error 7
 * "Permission Denied" on the race's participants), which the adapter reports as a `ForbiddenError`.
 */
export type HarnessFailure = "auth" | "forbidden" | "provider" | "rate-limited";

/**
 * A fake provider and the adapter pointed at it, as `runAdapterConformance` drives them. Each
 * adapter package implements it once (RunSignUp: a loopback HTTP server over an in-memory
 * dataset; the scripted adapter: its own dataset).
 */
export interface AdapterHarness {
  /** The adapter under test, configured to talk to this harness's provider. */
  readonly adapter: ProviderAdapter;
  /** Rows per page the adapter asks for here; the suite seeds more than one page with it. Keep it small (2-5). */
  readonly pageSize: number;
  /**
   * Whether one request fetches several events of a race (RunSignUp: `event_id=1,2`). Default
   * true; when false the suite does not count requests of multi-event fetches.
   */
  readonly multiEventCalls?: boolean | undefined;
  /** Creates races, events and registrations at the provider. Called once per test at most. */
  seed(spec: AdapterSeedSpec): Promise<SeededProvider>;
  /** Changes a registration's last name at instant `at` (its new last-modified time). */
  modifyRegistration(registrationId: string, change: { readonly lastName: string; readonly at: Date }): Promise<void>;
  /** Removes a registration at instant `at`: it leaves the registrations feed and enters the removal feed. */
  removeRegistration(
    registrationId: string,
    change: { readonly reason: Exclude<RemovalReason, "transferred">; readonly at: Date },
  ): Promise<void>;
  /**
   * Makes the provider send this registration, from now on, with one field the adapter cannot read
   * (RunSignUp: a `dob` of "0000-00-00") and the rest as before. Returns core's name of that field
   * (`dob`); not an id nor `raw`.
   */
  sendBadField(registrationId: string): string | Promise<string>;
  /**
   * Makes the provider send this registration, from now on, as a row no adapter can store
   * (RunSignUp: without its `registration_id`), in its place among the others.
   */
  sendUnreadableRow(registrationId: string): void | Promise<void>;
  /** Makes the provider answer the next `count` requests with this failure; `count` 0 clears it. */
  failRequests(failure: HarnessFailure, count: number): void | Promise<void>;
  /** Requests the provider has received since the harness was created. */
  requestCount(): number;
  /** The most requests the provider was answering at once. */
  maxInFlight(): number;
  /** Stops servers and frees what the harness holds. */
  close?(): Promise<void>;
}
