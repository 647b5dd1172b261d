/**
 * @project88/runsignup-adapter/testing: a faithful fake RunSignUp for tests, benchmarks and the
 * runner's demo: a seeded dataset generator, msw handlers with RunSignUp's quirks, and a real
 * loopback HTTP server with mutations, per-key limits, fault injection and a call log.
 */
export { simulateActivity, type ActivityOptions, type ActivityResult } from "./activity.js";
export { fakeConnection, type FakeConnectionOptions } from "./connection.js";
export {
  FakeDataset,
  createRng,
  type FakeDatasetOptions,
  type FakeEvent,
  type FakeKey,
  type FakeRace,
  type FakeRegistration,
  type FakeRemoval,
  type Person,
  type Rng,
} from "./dataset.js";
export { FaultController, type FakeEndpoint, type FaultKind, type FaultRateOptions, type FaultSpec, type FaultTarget } from "./faults.js";
export { Malformations, type JsonEdit } from "./malformed.js";
export { createRunSignupHarness, type RunSignupHarness } from "./harness.js";
export {
  PARTICIPANTS_CAP,
  RACES_CAP,
  createRunSignupHandlers,
  errorEnvelope,
  type CsvPaging,
  type HandlerOptions,
} from "./handlers.js";
export { KeyLimiter, type FakeLimits } from "./limits.js";
export {
  DEFAULT_OFFSETS_HOURS,
  DEFAULT_TIMEZONES,
  generateSeason,
  type FakePartner,
  type FakeSeason,
  type SeasonOptions,
} from "./season.js";
export { startFakeRunSignup, type FakeCall, type FakeRunSignup, type FakeServerOptions } from "./server.js";
