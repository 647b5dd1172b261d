// Privacy types of `SyncStore` (store.ts): retention's anonymisation and forgetting a person.

export interface AnonymiseArgs {
  readonly now: Date;
  /** Registrations of events whose `endsAt` (else `startsAt`) is before this instant. */
  readonly endedBefore: Date;
  /** At most this many registrations in this call (one transaction). */
  readonly limit: number;
}

export interface ForgetArgs {
  readonly now: Date;
  readonly provider: string;
  /** Exactly one of `registrationId` and `userId`. */
  readonly registrationId?: string | undefined;
  readonly userId?: string | undefined;
}
