export * from "./types.js";
export * from "./secret.js";
export * from "./errors.js";
export * from "./clock.js";
export type * from "./adapter.js";
export type * from "./store.js";
export type * from "./events.js";
export type * from "./engine-types.js";
export { createSyncEngine } from "./engine.js";
/** The token-bucket arithmetic every store's `takeBudget` and `getBudgets` share. */
export {
  checkBudgetLimits,
  decideTake,
  refillBucket,
  refillRatePerMs,
  type StoredBucket,
  type RefilledBucket,
  type TakeDecisionArgs,
} from "./token-bucket.js";
export { createBudget, type CreateBudgetOptions, type PrioritizedBudget } from "./budget.js";
export { SCHEDULE_OPTION_NAMES } from "./schedule-schema.js";
export {
  resolveOptions,
  resolveSchedule,
  type ResolvedOptions,
  type ResolvedSchedule,
  type ResolvedTier,
  type ResolvedConnection,
} from "./options.js";
export { tierAt, type EventTiming, type TierAt } from "./policy.js";
/** The default budget key of a connection: a digest of its credentials, never the credentials. */
export { credentialBudgetKey } from "./credential-key.js";
/**
 * Row checks a store runs before it writes a page (the memory store and postgres-store share
 * them): bad provider data never fails a page; fields go null with a problem, unstorable rows are skipped.
 */
export { checkPage, withoutUnknownEvents, registrationProblem, removalProblem, PROBLEM_SAMPLE_SIZE, type CheckedPage } from "./rows.js";
export { rawJsonText } from "./raw-json.js";
/** Provider text on its way into an error message or a problem (adapters clean `error_msg` with it). */
export { cleanProviderText } from "./provider-text.js";
/** The personal fields of a registration that retention and `forget` clear (stores share the list). */
export { PERSONAL_FIELDS, type PersonalField } from "./privacy.js";
export {
  REGISTRATION_COLUMNS,
  type RegistrationColumn,
  type RegistrationColumnKind,
  type RegistrationField,
  type RegistrationFieldOfKind,
} from "./registration-columns.js";
/** A provider clock skew beyond this is reported (`clock:skew`) and worth showing in a status. */
export { SKEW_REPORT_MS } from "./clock-skew.js";
