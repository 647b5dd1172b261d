/**
 * @project88/runsignup-adapter: RunSignUp's REST API as a `ProviderAdapter` for @project88/core.
 * The fake RunSignUp for tests lives in `@project88/runsignup-adapter/testing`.
 */
export { createRunSignupAdapter, type RunSignupAdapter } from "./adapter.js";
export { DEFAULT_BASE_URL, checkBaseUrl, isLoopbackHost } from "./base-url.js";
export type { RequestInfo } from "./client.js";
export { PROVIDER, mapParticipant, mapRace, mapRemoval, raceTimestamps, readParticipants, readRace, readRemovals, type RaceRead } from "./map.js";
export { parseJsonExact } from "./json.js";
export { compareIds, parseRow, type ElementRows, type ParsedRow } from "./read-rows.js";
export { MAX_PARTICIPANTS_PER_PAGE, MAX_RACES_PER_PAGE, type RunSignupAdapterOptions } from "./options.js";
export { nextAfter } from "./paging.js";
export {
  findErrorEnvelope,
  parseBody,
  participantsSchema,
  raceDetailSchema,
  raceListSchema,
  removedParticipantsSchema,
} from "./schemas.js";
export { EASTERN, parseZonedDateTime, wallClockToUtc, type WallClock } from "./time.js";
