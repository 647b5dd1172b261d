import { EventEmitter } from "eventemitter3";
import { createBudgetWatch } from "./budget-watch.js";
import { applyConnections, createConnectionSlots, type SkewListener } from "./connections.js";
import { createDatabaseClock } from "./database-clock.js";
import { createDiscovery } from "./discovery.js";
import { safeEmit } from "./emitter.js";
import type {
  ConnectionInput,
  ConnectionsChange,
  EngineStatus,
  ForgetSubject,
  PassResult,
  PlanReport,
  PurgeResult,
  RunOnceResult,
  SyncEngine,
  SyncEngineOptions,
} from "./engine-types.js";
import { AbortedError, ClockSkewError, NotFoundError } from "./errors.js";
import type { EngineEventArgs } from "./events.js";
import { forgetSubject } from "./forget.js";
import { resolveConnections, resolveOptions, type ResolvedOptions } from "./options.js";
import { createHistoryPruner } from "./history.js";
import { serializeError } from "./pass-failure.js";
import { notRunResult } from "./pass-outcome.js";
import { buildPlan } from "./plan.js";
import { createRetention } from "./retention.js";
import { createScheduler } from "./scheduler.js";
import { createLeaseKeeper } from "./lease-keeper.js";
import { buildStatus, createSummaryCache } from "./status.js";
import type { EventRef } from "./types.js";

/** Default grace `stop()` gives running passes before it aborts their requests. */
const DEFAULT_STOP_TIMEOUT_MS = 30_000;

class Engine extends EventEmitter<EngineEventArgs> implements SyncEngine {
  readonly owner: string;
  readonly #options: ResolvedOptions;
  readonly #slots;
  readonly #scheduler;
  readonly #discovery;
  readonly #watch;
  readonly #retention;
  readonly #history;
  readonly #summaries;
  readonly #databaseClock;
  /** Hears every connection's clock-skew reports, those `setConnections` adds included. */
  readonly #onSkew: SkewListener = (conn, report) =>
    safeEmit(this, "clock:skew", { source: "provider", connectionId: conn.id, provider: conn.provider, ...report });
  /** Aborts running passes' requests when `stop` gives up waiting. */
  #passAbort = new AbortController();
  /** Aborts running discoveries (and their budget waits) when `stop` is called. */
  #discoveryAbort = new AbortController();
  /** Wakes the loop from its idle sleep (stop). */
  #loopAbort: AbortController | null = null;
  #loop: Promise<void> | null = null;
  #running = false;
  /** Set by `stop()`: a draining `runOnce` claims nothing more and ends with the passes it runs. */
  #stopping = false;

  constructor(input: SyncEngineOptions) {
    super();
    this.#options = resolveOptions(input);
    this.owner = this.#options.owner;
    this.#slots = createConnectionSlots(this.#options, this.#onSkew);
    this.#databaseClock = createDatabaseClock(this.#options, this);
    // One keeper renews every lease this process holds: passes, waiting races, discoveries.
    const leases = createLeaseKeeper(this.#options);
    const deps = { options: this.#options, emitter: this, slots: this.#slots, leases };
    this.#scheduler = createScheduler({ ...deps, signal: () => this.#passAbort.signal });
    this.#discovery = createDiscovery({ ...deps, signal: () => this.#discoveryAbort.signal });
    this.#watch = createBudgetWatch(deps);
    this.#retention = createRetention(deps);
    this.#history = createHistoryPruner(deps);
    this.#summaries = createSummaryCache(this.#options);
  }

  async start(): Promise<void> {
    if (this.#running) return;
    // A host whose clock disagrees with the database's must not take leases at all. A database
    // that cannot answer now is the loop's to retry, as for every other store call.
    try {
      await this.#databaseClock.ensure(true);
    } catch (error) {
      if (error instanceof ClockSkewError) throw error;
    }
    if (this.#running) return;
    this.#running = true;
    this.#stopping = false;
    this.#passAbort = new AbortController();
    this.#discoveryAbort = new AbortController();
    this.#loopAbort = new AbortController();
    safeEmit(this, "engine:start", { owner: this.owner, connectionIds: this.#options.connections.map((c) => c.id) });
    this.#loop = this.#runLoop(this.#loopAbort.signal);
  }

  async #runLoop(signal: AbortSignal): Promise<void> {
    const { clock, pollMs } = this.#options;
    while (!signal.aborted) {
      try {
        // While the clocks disagree, claim nothing and hand back held races (`clock:skew` said
        // so); passes already running finish.
        if (await this.#databaseClock.allowsWork()) {
          // Background work: a partner whose discovery is slow or waits out a pause must not
          // hold up the passes of every other partner.
          this.#discovery.startDue();
          await this.#watch.maybeCheck();
          this.#retention.maybeRun();
          const started = await this.#scheduler.fill();
          this.#scheduler.drainResults();
          if (started > 0) continue;
          // History is pruned only in a round with nothing to start: syncing always goes first.
          await this.#history.maybePrune();
        } else {
          await this.#scheduler.releaseHeld();
        }
      } catch (error) {
        // A store hiccup must not end the loop; the next round retries. Say so: an outage must
        // not look like an idle engine.
        safeEmit(this, "engine:error", { phase: "loop", error: serializeError(error) });
      }
      if (signal.aborted) break;
      // Wake when a pass ends (a slot frees up), when a discovery ends (new events are due at
      // once), when work this process scheduled falls due, or after one poll interval (work of
      // other processes, discovery slots), whichever is first.
      const sleeper = new AbortController();
      const onStop = () => sleeper.abort();
      signal.addEventListener("abort", onStop, { once: true });
      const known = this.#scheduler.nextKnownDue(clock.now());
      const waitMs = known === null ? pollMs : Math.min(pollMs, Math.max(1, known.getTime() - clock.now().getTime()));
      const sleep = clock.sleep(waitMs, sleeper.signal).catch(() => undefined);
      await Promise.race([sleep, this.#scheduler.runningCount > 0 ? this.#scheduler.anyDone() : sleep, this.#discovery.anyDone() ?? sleep]);
      sleeper.abort();
      signal.removeEventListener("abort", onStop);
    }
  }

  async stop(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    const wasRunning = this.#running;
    this.#running = false;
    this.#stopping = true;
    this.#loopAbort?.abort();
    this.#discoveryAbort.abort(new AbortedError("[core] engine stopped during discovery"));
    await this.#loop;
    this.#loop = null;
    await this.#retention.stop();
    // Every wait of a discovery takes its signal, so this ends promptly.
    await this.#discovery.allDone();
    const { clock } = this.#options;
    let graceful = true;
    if (this.#scheduler.runningCount > 0) {
      const grace = new AbortController();
      const timedOut = clock
        .sleep(options.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS, grace.signal)
        .then(() => true)
        .catch(() => false);
      graceful = !(await Promise.race([this.#scheduler.allDone().then(() => false), timedOut]));
      grace.abort();
      if (!graceful) {
        // Abort the requests in flight; a page already being committed still commits whole.
        this.#passAbort.abort(new AbortedError("[core] engine stopped before the pass finished"));
        await this.#scheduler.allDone();
      }
    }
    await this.#scheduler
      .releaseHeld()
      .catch((error: unknown) => safeEmit(this, "engine:error", { phase: "shutdown", error: serializeError(error) }));
    if (wasRunning || !graceful) safeEmit(this, "engine:stop", { owner: this.owner, graceful });
  }

  async runOnce(): Promise<RunOnceResult> {
    this.#stopping = false;
    this.#armDiscovery();
    await this.#databaseClock.ensure();
    // Discovery first (new events are due at once); a paused connection is skipped, and `stop()`
    // aborts a discovery that waits.
    const discovered = await this.#discovery.runDue();
    const dueBy = this.#options.clock.now();
    await this.#watch.check(dueBy);
    const passes: PassResult[] = [];
    try {
      for (;;) {
        const started = this.#stopping ? 0 : await this.#scheduler.fill(dueBy);
        if (started === 0 && this.#scheduler.runningCount === 0) break;
        await this.#scheduler.anyDone();
        passes.push(...this.#scheduler.drainResults());
      }
    } finally {
      await this.#scheduler.releaseParked().catch(() => undefined);
    }
    passes.push(...this.#scheduler.drainResults());
    return { discovered, passes, failed: passes.filter((p) => !p.ok).length };
  }

  async discover(options: { readonly connectionIds?: readonly string[] } = {}): Promise<void> {
    this.#armDiscovery();
    await this.#databaseClock.ensure();
    await this.#discovery.runNow(options.connectionIds);
  }

  /** A new discovery signal after a `stop()` aborted the last one (`runOnce`/`discover` after a stop). */
  #armDiscovery(): void {
    if (this.#discoveryAbort.signal.aborted) this.#discoveryAbort = new AbortController();
  }

  async syncEvent(ref: EventRef, options: { readonly full?: boolean } = {}): Promise<PassResult> {
    const { store, clock, owner, leaseMs } = this.#options;
    await this.#databaseClock.ensure();
    const known = await store.listEvents({ refs: [ref] });
    if (known.length === 0) throw new NotFoundError(`[core] ${ref.provider} event ${ref.eventId} is not known; run discovery first`);
    const claimed = await store.claimEvents({ owner, now: clock.now(), leaseMs, refs: [ref] });
    const event = known[0];
    const fallback = notRunResult(
      { provider: ref.provider, raceId: event?.raceId ?? "", eventIds: [ref.eventId], full: options.full === true },
      {
        name: "LeaseLostError",
        code: "LEASE_LOST",
        message: `[core] ${ref.provider} event ${ref.eventId} is being synced by another process, or no connection of this engine can sync it now`,
        retryable: true,
      },
    );
    if (claimed.length === 0) return fallback;
    const results = await this.#scheduler.runClaimed(claimed, options.full === true);
    return results[results.length - 1] ?? fallback;
  }

  async status(): Promise<EngineStatus> {
    const slots = this.#slots;
    const clocks = {
      providerSkewMs: (connectionId: string) => slots.get(connectionId)?.providerClock.skewMs ?? null,
      databaseSkewMs: this.#databaseClock.skewMs,
    };
    return buildStatus(this.#options, this.#running, clocks, this.#summaries);
  }

  async ready(): Promise<boolean> {
    await this.#options.store.ping();
    return this.#running;
  }

  async plan(hours = 24): Promise<PlanReport> {
    return buildPlan(this.#options, hours);
  }

  async setConnections(list: readonly ConnectionInput[]): Promise<ConnectionsChange> {
    // Validated whole first: a bad list changes nothing.
    const next = resolveConnections(list, new Set(this.#options.adapters.keys()));
    const previous = this.#options.connections;
    const change = applyConnections(this.#slots, next, this.#options, this.#onSkew);
    this.#options.connections = next;
    if (change.removed.length > 0) await this.#scheduler.releaseHeldFor(change.removed);
    for (const id of change.removed) {
      // The adapter frees what it holds for the connection (sockets) once its requests end.
      const provider = previous.find((c) => c.id === id)?.provider;
      const adapter = provider === undefined ? undefined : this.#options.adapters.get(provider);
      await adapter?.closeConnection?.(id).catch(() => undefined);
    }
    if (change.added.length + change.updated.length + change.removed.length > 0) safeEmit(this, "connections:changed", change);
    return change;
  }

  async purge(options: { readonly days?: number } = {}): Promise<PurgeResult> {
    return this.#retention.purge(options.days);
  }

  async forget(subject: ForgetSubject): Promise<{ readonly registrations: number }> {
    return forgetSubject(this.#options, this, subject);
  }
}

/**
 * Creates the sync engine. Options are validated once (a bad value is a `ConfigError` naming
 * its path); nothing runs until `start()`, `runOnce()`, `discover()` or `syncEvent()`.
 */
export function createSyncEngine(options: SyncEngineOptions): SyncEngine {
  return new Engine(options);
}
