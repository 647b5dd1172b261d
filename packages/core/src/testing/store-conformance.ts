import type { SyncStore } from "../store.js";
import type { ConformanceTestApi } from "./conformance-api.js";
import { budgetTests } from "./store-conformance-budget.js";
import { claimTests } from "./store-conformance-claims.js";
import { discoveryTests } from "./store-conformance-discovery.js";
import { forbiddenTests } from "./store-conformance-forbidden.js";
import { problemTests } from "./store-conformance-problems.js";
import { privacyTests } from "./store-conformance-privacy.js";
import { runTests } from "./store-conformance-runs.js";
import { scaleTests } from "./store-conformance-scale.js";
import { writeTests } from "./store-conformance-writes.js";
import { createContext, type StoreTest } from "./store-fixtures.js";

/** How the suite gets a store. */
export interface StoreConformanceOptions {
  /**
   * Returns a ready store. Called once per test, so each test may get a fresh store or a new
   * handle on a shared schema: every test creates its rows under its own provider name,
   * connection ids and budget keys, so rows left by other tests never disturb it.
   */
  readonly createStore: () => SyncStore | Promise<SyncStore>;
  /** Called before each test, before `createStore` (e.g. to truncate tables). Optional. */
  readonly reset?: (() => void | Promise<void>) | undefined;
  /**
   * Whether the suite calls `close()` on each store after its test. Default true; set false
   * when `createStore` hands out one shared store that the caller closes itself.
   */
  readonly closeStores?: boolean | undefined;
  /** Prefix of every describe block's name. Default `SyncStore conformance`. */
  readonly name?: string | undefined;
}

export type { StoreTest } from "./store-fixtures.js";

/**
 * Registers the suite every `SyncStore` must pass: one `it` per guarantee of the `SyncStore`
 * JSDoc (atomic pages, changed rows only, removals never delete, reconciliation with its refusal,
 * disjoint concurrent claims, leases, forbidden links, runs, token-bucket budgets under concurrency, one
 * discovery per slot). Pass your runner's functions, keyv-style:
 *
 * ```ts
 * import { describe, expect, it } from "vitest";
 * runStoreConformance({ describe, it, expect }, { createStore: () => createMemoryStore() });
 * ```
 */
export function runStoreConformance(api: ConformanceTestApi, options: StoreConformanceOptions): void {
  const test: StoreTest = (name, body) => {
    api.it(name, async () => {
      await options.reset?.();
      const store = await options.createStore();
      try {
        await body(createContext(store, api.expect));
      } finally {
        if (options.closeStores !== false) await store.close();
      }
    });
  };
  const prefix = options.name ?? "SyncStore conformance";
  api.describe(`${prefix}: discovery`, () => discoveryTests(test));
  api.describe(`${prefix}: page writes`, () => writeTests(test));
  api.describe(`${prefix}: bad provider data`, () => problemTests(test));
  api.describe(`${prefix}: claims and leases`, () => claimTests(test));
  api.describe(`${prefix}: forbidden links`, () => forbiddenTests(test));
  api.describe(`${prefix}: runs`, () => runTests(test));
  api.describe(`${prefix}: budgets`, () => budgetTests(test));
  api.describe(`${prefix}: personal data`, () => privacyTests(test));
  api.describe(`${prefix}: working set and history`, () => scaleTests(test));
}
