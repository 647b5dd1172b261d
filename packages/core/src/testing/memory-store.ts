import { StoreError } from "../errors.js";
import type { SyncStore } from "../store.js";
import { getBudgets, pauseBudget, releaseBudget, takeBudget } from "./memory-budgets.js";
import { listEvents, markForbidden, saveDiscovery, updateSchedule } from "./memory-catalog.js";
import { claimDue, claimEvents, releaseLeases, renewLeases } from "./memory-claims.js";
import { beginDiscovery, finishDiscovery, lastDiscoveries, renewDiscovery } from "./memory-discovery.js";
import { listHistorySummaries, pruneHistory } from "./memory-history.js";
import { commitPage, listRegistrations } from "./memory-pages.js";
import { anonymiseEnded, forget } from "./memory-privacy.js";
import { failRun, listRuns, startRun } from "./memory-runs.js";
import { createMemoryState } from "./memory-state.js";
import { listWorkingSet, summarizeEvents } from "./memory-working-set.js";

/** Names of the store's methods, for injecting failures. */
export type SyncStoreMethod = Exclude<keyof SyncStore, "close">;

/** Options of `createMemoryStore`. */
export interface MemoryStoreOptions {
  /** Prefix of run ids, so runs of two stores in one test are told apart. Default `run`. */
  readonly runIdPrefix?: string;
  /**
   * The "database clock" `databaseNow()` answers with. The memory store lives in the engine's
   * process and has no clock of its own, so without it `databaseNow` is absent and the engine
   * skips its clock check; give it to test that check (a clock that disagrees with the engine's).
   */
  readonly now?: () => Date;
}

/**
 * The in-memory `SyncStore` with test hooks. It keeps every guarantee of the `SyncStore`
 * contract within one process: each method's body runs to the end without awaiting, so calls
 * made concurrently (under `Promise.all`) are serialised exactly as a database transaction would be.
 */
export interface MemoryStore extends SyncStore {
  /**
   * Makes the next call of `method` reject with `error` (default: a retryable `StoreError`)
   * before it reads or writes anything, as a dropped database connection would. Queued
   * failures are used one per call, in order.
   */
  failNext(method: SyncStoreMethod, error?: unknown): void;
  /** How many times each method was called (failed calls included). */
  readonly calls: Readonly<Record<string, number>>;
}

/**
 * Creates an empty in-memory store: the reference `SyncStore` for engine tests, the simulation
 * and `runStoreConformance`. Nothing is shared between two stores.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const state = createMemoryState();
  const prefix = options.runIdPrefix ?? "run";
  const databaseClock = options.now;
  const failures = new Map<string, unknown[]>();
  const calls: Record<string, number> = {};
  let closed = false;

  // Every method goes through here: synchronous body, so concurrent callers never interleave.
  function run<T>(method: SyncStoreMethod, body: () => T): Promise<T> {
    calls[method] = (calls[method] ?? 0) + 1;
    try {
      if (closed) throw new StoreError(`[memory-store] ${method}: the store is closed`, { retryable: false });
      const queued = failures.get(method);
      if (queued !== undefined && queued.length > 0) throw queued.shift();
      return Promise.resolve(body());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  return {
    calls,
    failNext(method, error = new StoreError(`[memory-store] ${method}: injected failure`, { retryable: true })) {
      const queued = failures.get(method) ?? [];
      queued.push(error);
      failures.set(method, queued);
    },
    saveDiscovery: (args) => run("saveDiscovery", () => saveDiscovery(state, args)),
    markForbidden: (args) => run("markForbidden", () => markForbidden(state, args)),
    listEvents: (args) => run("listEvents", () => listEvents(state, args)),
    updateSchedule: (args) => run("updateSchedule", () => updateSchedule(state, args)),
    listWorkingSet: (args) => run("listWorkingSet", () => listWorkingSet(state, args)),
    summarizeEvents: (args) => run("summarizeEvents", () => summarizeEvents(state, args)),
    ping: () => run("ping", () => undefined),
    pruneHistory: (args) => run("pruneHistory", () => pruneHistory(state, args)),
    listHistorySummaries: (args) => run("listHistorySummaries", () => listHistorySummaries(state, args)),
    claimDue: (args) => run("claimDue", () => claimDue(state, args)),
    claimEvents: (args) => run("claimEvents", () => claimEvents(state, args)),
    renewLeases: (args) => run("renewLeases", () => renewLeases(state, args)),
    releaseLeases: (args) => run("releaseLeases", () => releaseLeases(state, args)),
    startRun: (args) => run("startRun", () => startRun(state, prefix, args)),
    failRun: (args) => run("failRun", () => failRun(state, args)),
    listRuns: (args) => run("listRuns", () => listRuns(state, args)),
    commitPage: (args) => run("commitPage", () => commitPage(state, args)),
    listRegistrations: (args) => run("listRegistrations", () => listRegistrations(state, args)),
    takeBudget: (args) => run("takeBudget", () => takeBudget(state, args)),
    releaseBudget: (args) => run("releaseBudget", () => releaseBudget(state, args)),
    pauseBudget: (args) => run("pauseBudget", () => pauseBudget(state, args)),
    getBudgets: (args) => run("getBudgets", () => getBudgets(state, args)),
    beginDiscovery: (args) => run("beginDiscovery", () => beginDiscovery(state, args)),
    renewDiscovery: (args) => run("renewDiscovery", () => renewDiscovery(state, args)),
    finishDiscovery: (args) => run("finishDiscovery", () => finishDiscovery(state, args)),
    lastDiscoveries: (args) => run("lastDiscoveries", () => lastDiscoveries(state, args)),
    anonymiseEnded: (args) => run("anonymiseEnded", () => anonymiseEnded(state, args)),
    forget: (args) => run("forget", () => forget(state, args)),
    ...(databaseClock === undefined ? {} : { databaseNow: () => run("databaseNow", () => new Date(databaseClock().getTime())) }),
    close() {
      closed = true;
      return Promise.resolve();
    },
  };
}
