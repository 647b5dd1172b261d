/**
 * Provider-neutral domain types. IDs are strings (some providers use UUIDs); every instant is a
 * UTC `Date`. A provider's wall-clock strings are converted with the race's zone at the adapter
 * boundary and never travel further as naive strings.
 */
import type { Secret } from "./secret.js";

/** Identifies one event of one provider: the unit of scheduling. */
export interface EventRef {
  readonly provider: string;
  readonly eventId: string;
}

/** One start inside a race. */
export interface SyncEvent {
  readonly provider: string;
  readonly eventId: string;
  readonly raceId: string;
  readonly name: string;
  /** The start instant (UTC). */
  readonly startsAt: Date;
  /** The end instant (UTC), when the provider gives one. */
  readonly endsAt: Date | null;
  /** The provider's own JSON for this event, kept verbatim. */
  readonly raw: unknown;
}

/** The container of events: one race day, with an IANA time zone. */
export interface Race {
  readonly provider: string;
  readonly raceId: string;
  readonly name: string;
  /** IANA zone, e.g. `America/Denver`. Event wall-clock times were converted with it. */
  readonly timezone: string;
  /** The next race date as the provider states it (a calendar date, `YYYY-MM-DD`), if any. */
  readonly nextDate: string | null;
  readonly raw: unknown;
  readonly events: readonly SyncEvent[];
}

/** Why a registration left an event, as the provider's removal feed says. */
export type RemovalReason = "removed" | "transferred" | "deferred" | "cleared";

/** Status of a stored registration. `vanished` is set by reconciliation, never by a feed. */
export type RegistrationStatus = "active" | RemovalReason | "vanished";

/**
 * A field of a provider row that failed its check. The field is stored as null, the row's `raw`
 * keeps what the provider sent, and the problem is recorded on the registration.
 */
export interface FieldProblem {
  /** Core's name of the field (`dob`, `age`, `firstName`, `registeredAt`, `raw`, ...). */
  readonly field: string;
  /** Why, in words; provider text in it is cleaned and cut to 500 characters. */
  readonly reason: string;
}

/**
 * A provider row that cannot be stored at all (no usable registration id, no event): it is left
 * out of the page, recorded in the run's problems, and the rest of the page commits.
 */
export interface SkippedRow {
  /** The id as far as it could be read (cleaned text), or null. */
  readonly registrationId: string | null;
  readonly eventId: string | null;
  readonly field: string;
  readonly reason: string;
}

/**
 * A race or event discovery could not read (an unknown time zone, an unreadable start, a
 * required field missing). `listRaces` yields it in place of the race (or beside a race whose
 * other events were readable); discovery skips it, reports it, and the rest commits.
 */
export interface SkippedRace {
  readonly skipped: true;
  readonly provider: string;
  readonly raceId: string | null;
  /** Set when only this event of the race was skipped. */
  readonly eventId: string | null;
  readonly reason: string;
}

/** One participant's entry in an event, normalised. Key: (provider, registrationId). */
export interface Registration {
  readonly provider: string;
  readonly registrationId: string;
  readonly raceId: string;
  readonly eventId: string;
  readonly userId: string | null;
  readonly firstName: string | null;
  readonly lastName: string | null;
  /** As the provider sends it (`M`, `F`, ...); null when not given (RunSignUp: non-binary). */
  readonly gender: string | null;
  /** Calendar date `YYYY-MM-DD`, no zone. */
  readonly dob: string | null;
  readonly age: number | null;
  readonly bib: string | null;
  readonly chip: string | null;
  readonly email: string | null;
  readonly phone: string | null;
  readonly city: string | null;
  readonly state: string | null;
  readonly country: string | null;
  readonly teamName: string | null;
  readonly registeredAt: Date | null;
  /** The provider's last-modified instant; a stored row is never replaced by an older one. */
  readonly modifiedAt: Date | null;
  readonly raw: unknown;
  /** Fields the adapter could not read (each is null here); absent or empty when none. */
  readonly problems?: readonly FieldProblem[] | undefined;
}

/** One row of a provider's removal feed (refund, cancellation, transfer, deferral). */
export interface Removal {
  readonly provider: string;
  readonly registrationId: string;
  readonly raceId: string;
  readonly eventId: string;
  readonly reason: RemovalReason;
  /** For `transferred`: the registration that replaced this one. */
  readonly newRegistrationId: string | null;
  readonly modifiedAt: Date | null;
  readonly raw: unknown;
  /** Fields the adapter could not read (each is null here); absent or empty when none. */
  readonly problems?: readonly FieldProblem[] | undefined;
}

/**
 * One page of a paged provider feed. `after` is the keyset position to resume *after* this
 * page; it is `null` on the last page of the pass (a short or empty page).
 */
export interface Page<Row> {
  readonly rows: readonly Row[];
  readonly after: string | null;
  /** Rows of this page the adapter could not turn into a `Row` (they still count for paging). */
  readonly skipped?: readonly SkippedRow[] | undefined;
}

export type RegistrationPage = Page<Registration>;
export type RemovalPage = Page<Removal>;

/**
 * One partner's credentials on one provider. It owns a budget: every request made with it is
 * charged to `budgetKey`.
 */
export interface Connection {
  readonly id: string;
  readonly provider: string;
  /** Credentials, opaque to core; each value is a `Secret` that never serialises its value. */
  readonly credentials: Readonly<Record<string, Secret>>;
  /** Overrides the adapter's default base URL (tests, a provider's test server). */
  readonly baseUrl?: string | undefined;
  /**
   * The key the budget is kept under. Defaults to the provider and a digest of the credentials
   * (`runsignup:cred-…`), so connections with the same real key share one budget.
   */
  readonly budgetKey: string;
  readonly callsPerHour: number;
  readonly maxInFlight: number;
  /**
   * Ask the provider for question answers (RunSignUp `include_questions=T`). They often hold
   * emergency contacts and medical notes, so they are fetched only when a connection asks.
   * Absent: the adapter's default (off for RunSignUp).
   */
  readonly includeQuestions?: boolean | undefined;
  /** How much of each row's `raw` provider JSON is kept (default `"full"`); see `RawPolicy`. */
  readonly raw?: RawPolicy | undefined;
}

/**
 * What the engine keeps of a registration's or removal's `raw` provider JSON before the row
 * reaches the store: all of it (`"full"`, the default), nothing (`"none"`: raw is null), or only
 * the listed top-level fields (`{ keep: [...] }`).
 */
export type RawPolicy = "full" | "none" | { readonly keep: readonly string[] };

/** Scheduling tier of an event, by its distance to the start. */
export type TierName = string;

/** The kinds of pass the engine runs. */
export type PassKind = "backfill" | "incremental" | "reconcile";
