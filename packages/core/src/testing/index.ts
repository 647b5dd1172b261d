/**
 * `@project88/core/testing`: what tests of the engine, stores and adapters share.
 *
 * - `ManualClock`: time that moves only when a test says so.
 * - `createMemoryStore`: the in-memory `SyncStore` (reference implementation, engine tests, simulation).
 * - `createScriptedAdapter`, `ScriptedDataset`, `generateDataset`: a fake provider with scripting and a call log.
 * - `createCountingBudget`: a `Budget` that counts what an adapter charged.
 * - `runStoreConformance`, `runAdapterConformance`: the suites every store and every adapter must
 *   pass, taking the runner's `describe`/`it`/`expect` so core needs no test runner at run time.
 */
export { ManualClock, flushMicrotasks } from "./manual-clock.js";
export { createMemoryStore, type MemoryStore, type MemoryStoreOptions, type SyncStoreMethod } from "./memory-store.js";
export { isCalendarDate } from "../rows.js";
export {
  createScriptedAdapter,
  type ScriptedAdapter,
  type ScriptedAdapterOptions,
  type ScriptedCall,
  type ScriptedCallKind,
  type ScriptedFailure,
} from "./scripted-adapter.js";
export { ScriptedDataset, type ScriptedDatasetInput, type ScriptedRace } from "./scripted-dataset.js";
export { generateDataset, seededRandom, type GenerateDatasetOptions } from "./dataset-generator.js";
export { createCountingBudget, type CountingBudget } from "./counting-budget.js";
export { runStoreConformance, type StoreConformanceOptions, type StoreTest } from "./store-conformance.js";
export type { StoreTestContext } from "./store-fixtures.js";
export { runAdapterConformance, type AdapterConformanceOptions } from "./adapter-conformance.js";
export type {
  AdapterHarness,
  AdapterSeedSpec,
  HarnessFailure,
  SeedEventSpec,
  SeedRaceSpec,
  SeedRegistrationSpec,
  SeededProvider,
} from "./adapter-harness.js";
export {
  rejectionOf,
  uniqueId,
  type ConformanceExpectation,
  type ConformanceMatchers,
  type ConformanceTestApi,
} from "./conformance-api.js";
