/**
 * @project88/runsignup-adapter: RunSignUp's REST API as a `ProviderAdapter` for @project88/core.
 * The fake RunSignUp for tests lives in `@project88/runsignup-adapter/testing`.
 */
//
// The public face is what a service embedding the engine needs: the factory, its options and
// request report, and the base-URL rule the runner's configuration checks. The schemas, the
// row mapping and the time helpers are internal; the package's own tests import them by path.
export { createRunSignupAdapter, type RunSignupAdapter } from "./adapter.js";
export { DEFAULT_BASE_URL, checkBaseUrl } from "./base-url.js";
export type { RequestInfo } from "./client.js";
export { PROVIDER } from "./map.js";
export { DEFAULT_MAX_RESPONSE_BYTES, MAX_PARTICIPANTS_PER_PAGE, MAX_RACES_PER_PAGE, type RunSignupAdapterOptions } from "./options.js";
