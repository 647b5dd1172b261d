import {
  createSyncEngine,
  credentialBudgetKey,
  secret,
  type EngineEvents,
  type ScheduleInput,
  type SyncEngine,
  type SyncEngineOptions,
} from "@project88/core";
import {
  createMemoryStore,
  createScriptedAdapter,
  ManualClock,
  type MemoryStore,
  type ScriptedAdapter,
  type ScriptedDatasetInput,
} from "@project88/core/testing";

/** A wired engine for tests: memory store, scripted provider, manual clock, event log. */
export interface Harness {
  readonly clock: ManualClock;
  readonly store: MemoryStore;
  readonly adapter: ScriptedAdapter;
  readonly engine: SyncEngine;
  readonly log: { name: keyof EngineEvents; payload: unknown; at: Date }[];
  /** Payloads of one event name, in order. */
  events<K extends keyof EngineEvents>(name: K): EngineEvents[K][];
}

/** Options of `createHarness`. */
export interface HarnessOptions {
  readonly start?: string | Date;
  readonly dataset?: ScriptedDatasetInput;
  readonly schedule?: ScheduleInput;
  readonly connections?: SyncEngineOptions["connections"];
  readonly pageSize?: number;
  readonly store?: MemoryStore;
  readonly clock?: ManualClock;
  readonly adapter?: ScriptedAdapter;
  readonly owner?: string;
  readonly pollMs?: number;
  readonly retention?: SyncEngineOptions["retention"];
  readonly history?: SyncEngineOptions["history"];
  readonly recentEventsMs?: number;
}

/** One connection with the default budget. */
export function connection(
  id = "c1",
  extra: Partial<SyncEngineOptions["connections"][number]> = {},
): SyncEngineOptions["connections"][number] {
  return { id, provider: "scripted", credentials: { key: secret(`key-${id}`) }, ...extra };
}

/** The budget key `connection(id)` gets by default: a digest of its credentials. */
export function budgetKeyOf(id = "c1"): string {
  return credentialBudgetKey("scripted", { key: secret(`key-${id}`) });
}

const ALL: (keyof EngineEvents)[] = [
  "engine:start",
  "engine:stop",
  "discovery:start",
  "discovery:finish",
  "discovery:skipped",
  "race:new",
  "event:new",
  "event:changed",
  "sync:start",
  "sync:page",
  "sync:finish",
  "sync:error",
  "sync:invalid",
  "reconcile:refused",
  "budget:throttled",
  "budget:over",
  "schedule:late",
  "lease:lost",
  "history:pruned",
  "engine:error",
  "clock:skew",
  "listener:error",
  "race:forbidden",
  "privacy:returned",
  "privacy:anonymised",
  "privacy:forgotten",
  "connections:changed",
];

/** Builds a harness; the engine is created but not started. */
export function createHarness(options: HarnessOptions = {}): Harness {
  const clock = options.clock ?? new ManualClock(options.start ?? "2026-07-01T00:00:00Z");
  const store = options.store ?? createMemoryStore();
  const adapter = options.adapter ?? createScriptedAdapter({ clock, dataset: options.dataset ?? {}, pageSize: options.pageSize ?? 100 });
  const engine = createSyncEngine({
    adapters: [adapter],
    store,
    clock,
    connections: options.connections ?? [connection()],
    schedule: options.schedule,
    owner: options.owner ?? "test-engine",
    pollMs: options.pollMs ?? 1000,
    random: () => 0.5,
    retention: options.retention,
    ...(options.history === undefined ? {} : { history: options.history }),
    ...(options.recentEventsMs === undefined ? {} : { recentEventsMs: options.recentEventsMs }),
  });
  const log: Harness["log"] = [];
  for (const name of ALL) engine.on(name, (payload: unknown) => log.push({ name, payload, at: clock.now() }));
  return {
    clock,
    store,
    adapter,
    engine,
    log,
    events: (name) => log.filter((e) => e.name === name).map((e) => e.payload) as never,
  };
}

/** Runs `work` while moving the clock forward in steps until it settles (budget waits, delays). */
export async function settle<T>(clock: ManualClock, work: Promise<T>, stepMs = 1000, maxSteps = 100_000): Promise<T> {
  let done = false;
  let value: T | undefined;
  let failure: unknown;
  let failed = false;
  work.then(
    (v) => {
      done = true;
      value = v;
    },
    (e: unknown) => {
      done = true;
      failed = true;
      failure = e;
    },
  );
  await clock.advance(0);
  for (let i = 0; i < maxSteps && !done; i++) await clock.advance(stepMs);
  if (!done) throw new Error("work did not settle");
  if (failed) throw failure;
  return value as T;
}
