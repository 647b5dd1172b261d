import type { EventEmitter } from "eventemitter3";
import type { ProviderAdapter } from "./adapter.js";
import { backoffDelayMs } from "./backoff.js";
import { countingBudget } from "./budget.js";
import type { ConnectionSlot } from "./connections.js";
import { safeEmit } from "./emitter.js";
import type { EngineEventArgs } from "./events.js";
import { AbortedError, LeaseLostError } from "./errors.js";
import type { LeaseKeeper } from "./lease-keeper.js";
import type { ResolvedOptions, ResolvedSchedule } from "./options.js";
import { pauseFor, serializeError, throttledPayload } from "./pass-failure.js";
import { BACKFILL_PRIORITY, currentPriority, priorityOf, tierAt } from "./policy.js";
import { cleanProviderText } from "./provider-text.js";
import type { SyncStatePatch } from "./store.js";
import type { Race, SkippedRace } from "./types.js";

function isSkipped(item: Race | SkippedRace): item is SkippedRace {
  return (item as Partial<SkippedRace>).skipped === true;
}

/** A skip as reported: its text is provider text, so it is cleaned before any event or log sees it. */
function cleanSkip(s: SkippedRace): SkippedRace {
  const id = (v: string | null) => (v === null ? null : cleanProviderText(String(v), 100));
  return { skipped: true, provider: s.provider, raceId: id(s.raceId), eventId: id(s.eventId), reason: cleanProviderText(String(s.reason)) };
}

const DAY_MS = 86_400_000;

/** The latest scheduled discovery instant at or before `now` (today's or yesterday's slots, UTC). */
export function latestSlot(now: Date, schedule: ResolvedSchedule): Date {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  let best = -Infinity;
  for (const day of [midnight - DAY_MS, midnight]) {
    for (const time of schedule.discoveryTimes) {
      const [h, m] = time.split(":").map(Number);
      const slot = day + ((h ?? 0) * 60 + (m ?? 0)) * 60_000;
      if (slot <= now.getTime() && slot > best) best = slot;
    }
  }
  return new Date(best);
}

/** What discovery needs from the engine. */
export interface DiscoveryDeps {
  readonly options: ResolvedOptions;
  readonly emitter: EventEmitter<EngineEventArgs>;
  readonly slots: ReadonlyMap<string, ConnectionSlot>;
  /** Renews the discovery's lease while it runs (a discovery may take longer than one lease). */
  readonly leases: LeaseKeeper;
  /** The engine's stop signal: aborting it ends every running discovery (its waits included). */
  readonly signal: () => AbortSignal;
}

/**
 * Runs discovery when its ledger says so, one task per connection; keeps in-process memory only
 * to avoid asking every poll. A connection never has two discoveries running in this process.
 */
export interface Discovery {
  /**
   * Starts, in the background, the discovery of every connection whose latest slot has no
   * successful discovery and that is not being discovered already. Never waits: one partner's
   * slow or paused discovery must not hold up the loop that syncs every other partner.
   */
  startDue(): void;
  /** Like `startDue`, then waits for those discoveries (`runOnce`). True when any ran. */
  runDue(): Promise<boolean>;
  /** Discovers the given connections now, whatever the ledger says (a paused one is skipped). */
  runNow(connectionIds?: readonly string[]): Promise<void>;
  /** Resolves when any running discovery ends; null when none runs. */
  anyDone(): Promise<void> | null;
  /** Resolves when every running discovery has ended. */
  allDone(): Promise<void>;
}

/** What one discovery attempt came to. */
type Outcome = "ran" | "refused" | "paused";

/**
 * Discovery is due when the latest slot at or before now has no successful run in the store's
 * ledger (`beginDiscovery` admits one caller per connection and slot), so a process started at
 * 07:00 after a missed 06:00 run discovers at once, and two processes never both do. A
 * connection whose budget key is paused is skipped (`discovery:skipped`) until the pause ends:
 * asking would only wait inside the budget for the whole pause.
 */
export function createDiscovery(deps: DiscoveryDeps): Discovery {
  const { options } = deps;
  const { store, clock, owner, leaseMs, schedule } = options;
  /** Per connection: the slot known to be served, and when a failed or contended slot may be tried again. */
  const served = new Map<string, number>();
  const retryAt = new Map<string, number>();
  const failures = new Map<string, number>();
  /** Per connection: its discovery running in this process. */
  const running = new Map<string, Promise<Outcome>>();

  /** The pause of the connection's budget key now, if any (the ledger is not touched when paused). */
  async function pauseOf(conn: ConnectionSlot["conn"], now: Date): Promise<{ until: Date; reason: string | null } | null> {
    const [budget] = await store.getBudgets({ now, keys: [conn.budgetKey] });
    const until = budget?.pausedUntil ?? null;
    return until !== null && until.getTime() > now.getTime() ? { until, reason: budget?.pauseReason ?? null } : null;
  }

  async function discoverOne(slot: ConnectionSlot, slotAt: Date): Promise<Outcome> {
    const conn = slot.conn;
    // Ends with the engine, and with the connection (removed, or new credentials: `setConnections`).
    const signal = AbortSignal.any([deps.signal(), slot.abort.signal]);
    if (signal.aborted) return "refused";
    const pause = await pauseOf(conn, clock.now());
    if (pause !== null) {
      retryAt.set(conn.id, pause.until.getTime());
      safeEmit(deps.emitter, "discovery:skipped", {
        connectionId: conn.id,
        provider: conn.provider,
        slot: slotAt,
        reason: "paused",
        until: pause.until,
        pauseReason: pause.reason,
      });
      return "paused";
    }
    const id = await store.beginDiscovery({ connectionId: conn.id, slot: slotAt, owner, now: clock.now(), leaseMs });
    if (id === null) return "refused";
    // Stopped by the engine, or by a lapsed lease (another process may be discovering the slot now).
    const controller = new AbortController();
    const onStop = () => controller.abort(signal.reason ?? new AbortedError("[core] engine stopped during discovery"));
    if (signal.aborted) onStop();
    else signal.addEventListener("abort", onStop, { once: true });
    const releaseLease = deps.leases.holdDiscovery(id, () =>
      controller.abort(new LeaseLostError(`[core] discovery lease of connection ${conn.id} lost`, [])),
    );
    const adapter = options.adapters.get(conn.provider) as ProviderAdapter;
    const started = clock.now();
    safeEmit(deps.emitter, "discovery:start", { connectionId: conn.id, provider: conn.provider, slot: slotAt });
    const counter = countingBudget(slot.budget, () => BACKFILL_PRIORITY);
    const base = { connectionId: conn.id, provider: conn.provider };
    try {
      const window = {
        from: new Date(started.getTime() - schedule.discoveryLookBehindMs),
        to: new Date(started.getTime() + schedule.discoveryLookAheadMs),
      };
      const races: Race[] = [];
      const skipped: SkippedRace[] = [];
      const ctx = { budget: counter.budget, signal: controller.signal, now: started, observeServerTime: slot.providerClock.observe };
      // A race the adapter could not read is skipped and reported; the rest of the discovery commits.
      for await (const race of adapter.listRaces(conn, window, ctx)) {
        if (isSkipped(race)) skipped.push(cleanSkip(race));
        else races.push(race);
      }
      if (controller.signal.aborted) throw controller.signal.reason;
      const now = clock.now();
      const diff = await store.saveDiscovery({
        connectionId: conn.id,
        provider: conn.provider,
        races,
        now,
        newEventPriority: BACKFILL_PRIORITY,
      });
      // A moved start changes the tier: sync at once so the schedule follows the new start.
      const patches: (SyncStatePatch & { readonly provider: string })[] = diff.changedEvents.map((c) => {
        const tier = tierAt(c.startsAt, now, schedule);
        return {
          provider: c.ref.provider,
          eventId: c.ref.eventId,
          tier: tier.name,
          priority: priorityOf(tier.index, schedule),
          nextDueAt: now,
        };
      });
      // A new event already in the most urgent tier is backfilled as urgently as that tier.
      const found = new Map(races.flatMap((r) => r.events.map((e) => [e.eventId, e] as const)));
      for (const ref of diff.newEvents) {
        const event = found.get(ref.eventId);
        const priority = event === undefined ? BACKFILL_PRIORITY : currentPriority(event, false, now, schedule);
        if (priority !== BACKFILL_PRIORITY) patches.push({ provider: ref.provider, eventId: ref.eventId, priority });
      }
      if (patches.length > 0) await store.updateSchedule({ now, patches });
      await store.finishDiscovery({
        id,
        now,
        status: "succeeded",
        races: races.length,
        newEvents: diff.newEvents.length,
        apiCalls: counter.calls(),
      });
      for (const raceId of diff.newRaces) safeEmit(deps.emitter, "race:new", { ...base, raceId });
      const raceOf = new Map(races.flatMap((r) => r.events.map((e) => [e.eventId, r.raceId] as const)));
      for (const ref of diff.newEvents)
        safeEmit(deps.emitter, "event:new", { ...base, eventId: ref.eventId, raceId: raceOf.get(ref.eventId) ?? "" });
      for (const c of diff.changedEvents) {
        safeEmit(deps.emitter, "event:changed", {
          provider: c.ref.provider,
          eventId: c.ref.eventId,
          raceId: raceOf.get(c.ref.eventId) ?? "",
          previousStartsAt: c.previousStartsAt,
          startsAt: c.startsAt,
        });
      }
      safeEmit(deps.emitter, "discovery:finish", {
        ...base,
        races: races.length,
        newRaces: diff.newRaces.length,
        newEvents: diff.newEvents.length,
        changedEvents: diff.changedEvents.length,
        apiCalls: counter.calls(),
        durationMs: clock.now().getTime() - started.getTime(),
        error: null,
        skipped,
      });
      failures.delete(conn.id);
      return "ran";
    } catch (raw) {
      // An adapter aborted by stop or a lost lease may surface its own abort error; report the real reason.
      const error = controller.signal.aborted ? controller.signal.reason : raw;
      const now = clock.now();
      const serialized = serializeError(error);
      // A lost lease's record is closed by whoever took the slot over; it is not ours to finish.
      if (!(error instanceof LeaseLostError)) {
        await store
          .finishDiscovery({ id, now, status: "failed", races: 0, newEvents: 0, apiCalls: counter.calls(), error: serialized })
          .catch(() => undefined);
      }
      const pause = pauseFor(error, now);
      if (pause !== null) {
        await store.pauseBudget({ key: conn.budgetKey, now, until: pause.until, reason: pause.reason }).catch(() => undefined);
        safeEmit(deps.emitter, "budget:throttled", throttledPayload(conn, pause));
      }
      const n = (failures.get(conn.id) ?? 0) + 1;
      failures.set(conn.id, n);
      retryAt.set(conn.id, now.getTime() + backoffDelayMs(n, schedule.backoffBaseMs, schedule.backoffMaxMs, options.random));
      safeEmit(deps.emitter, "discovery:finish", {
        ...base,
        races: 0,
        newRaces: 0,
        newEvents: 0,
        changedEvents: 0,
        apiCalls: counter.calls(),
        durationMs: now.getTime() - started.getTime(),
        error: serialized,
        skipped: [],
      });
      return "ran";
    } finally {
      releaseLease();
      signal.removeEventListener("abort", onStop);
    }
  }

  /** One connection's due discovery, with the ledger's answer folded into the in-process memory. */
  async function discoverDue(s: ConnectionSlot, slotAt: Date): Promise<Outcome> {
    const outcome = await discoverOne(s, slotAt);
    if (failures.has(s.conn.id) || outcome === "paused") return outcome;
    if (outcome === "ran") served.set(s.conn.id, slotAt.getTime());
    else if (!deps.signal().aborted) {
      // Refused: served already, or another process is at it; look again after its lease.
      const last = (await store.lastDiscoveries({ connectionIds: [s.conn.id] }))[0];
      if (last !== undefined && last.status === "succeeded" && last.slot.getTime() >= slotAt.getTime())
        served.set(s.conn.id, slotAt.getTime());
      else retryAt.set(s.conn.id, clock.now().getTime() + leaseMs);
    }
    return outcome;
  }

  /** Runs `work` as the connection's discovery task, or joins the one already running. */
  function track(id: string, work: () => Promise<Outcome>): Promise<Outcome> {
    const current = running.get(id);
    if (current !== undefined) return current;
    // A store error must not escape a background task; the next round tries again. Say so: an
    // outage must not look like a quiet ledger.
    const task = work()
      .catch((error: unknown): Outcome => {
        retryAt.set(id, clock.now().getTime() + schedule.backoffBaseMs);
        safeEmit(deps.emitter, "engine:error", { phase: "discovery", error: serializeError(error) });
        return "refused";
      })
      .finally(() => running.delete(id));
    running.set(id, task);
    return task;
  }

  function startDue(): Promise<Outcome>[] {
    if (deps.signal().aborted) return [];
    const now = clock.now();
    const slotAt = latestSlot(now, schedule);
    return [...deps.slots.values()]
      .filter((s) => (served.get(s.conn.id) ?? -Infinity) < slotAt.getTime() && (retryAt.get(s.conn.id) ?? -Infinity) <= now.getTime())
      .map((s) => track(s.conn.id, () => discoverDue(s, slotAt)));
  }

  return {
    startDue() {
      startDue();
    },
    async runDue() {
      const outcomes = await Promise.all(startDue());
      return outcomes.includes("ran");
    },
    async runNow(connectionIds) {
      const chosen = [...deps.slots.values()].filter((s) => connectionIds === undefined || connectionIds.includes(s.conn.id));
      // A manual run serves the current slot too (its slot is `now`, later than the scheduled one).
      await Promise.all(
        chosen.map(async (s) => {
          // A background discovery of this connection may be running: let it end, then run anew.
          await running.get(s.conn.id);
          await track(s.conn.id, () => discoverOne(s, clock.now()));
        }),
      );
    },
    anyDone() {
      return running.size === 0 ? null : Promise.race(running.values()).then(() => undefined);
    },
    async allDone() {
      while (running.size > 0) await Promise.all(running.values());
    },
  };
}
