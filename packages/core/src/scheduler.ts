import type { EventEmitter } from "eventemitter3";
import { chooseConnection, type ConnectionSlot } from "./connections.js";
import { safeEmit } from "./emitter.js";
import type { PassResult } from "./engine-types.js";
import type { EngineEventArgs } from "./events.js";
import { byRace, groupIntoPasses } from "./grouping.js";
import type { ResolvedOptions } from "./options.js";
import { runPass } from "./pass.js";
import { allowedIntervalMs, tierAt } from "./policy.js";
import type { StoredEvent } from "./store.js";

/** How many races one claim may take: deep enough to reach past a saturated connection's backlog. */
const MAX_CLAIM_RACES = 200;

/** What the dispatcher shares with the engine. */
export interface SchedulerDeps {
  readonly options: ResolvedOptions;
  readonly emitter: EventEmitter<EngineEventArgs>;
  readonly slots: ReadonlyMap<string, ConnectionSlot>;
  /** Aborts every running pass (stop timeout). */
  readonly signal: () => AbortSignal;
}

/** Claims due work and runs it with bounded concurrency. */
export interface Scheduler {
  /**
   * Claims as many races as there are free pass slots and starts their passes. Events due after
   * `dueBy` (when given) are handed back unstarted. Returns how many race tasks it started.
   */
  fill(dueBy?: Date): Promise<number>;
  /** Runs already-claimed events (used by `syncEvent`). */
  runClaimed(events: readonly StoredEvent[], full: boolean): Promise<PassResult[]>;
  /** Resolves when any running race task ends (at once when none runs). */
  anyDone(): Promise<void>;
  /** Resolves when every running race task has ended. */
  allDone(): Promise<void>;
  readonly runningCount: number;
  /** Results of passes finished since the last call. */
  drainResults(): PassResult[];
  /** The earliest due instant after `now` this process knows of (from its own passes), if any. */
  nextKnownDue(now: Date): Date | null;
}

/**
 * The dispatcher: the store orders claims by priority and then by how overdue the event is. A
 * race starts only on a connection with a free in-flight slot; everything else claimed is handed
 * back at once, so the queue stays in the store, where the most urgent and most overdue work is
 * always taken next. That is what makes degradation fair on an over-budget morning, and keeps a
 * saturated connection from holding up the others.
 */
export function createScheduler(deps: SchedulerDeps): Scheduler {
  const { options, emitter, slots } = deps;
  const { store, clock, owner, leaseMs, schedule } = options;
  const providers = [...options.adapters.keys()];
  const running = new Set<Promise<void>>();
  const foreignRaces = new Set<string>();
  let results: PassResult[] = [];
  /** Due instants this process set; lets the loop wake exactly when work falls due. */
  let dueHints: number[] = [];
  const hint = (at: Date) => {
    dueHints.push(at.getTime());
  };

  const release = (events: readonly StoredEvent[]) =>
    store.releaseLeases({ owner, now: clock.now(), refs: events.map((e) => ({ provider: e.provider, eventId: e.eventId })) });

  async function runRace(events: readonly StoredEvent[], slot: ConnectionSlot, full: boolean): Promise<PassResult[]> {
    const now = clock.now();
    reportLateness(events, now);
    const adapter = options.adapters.get(slot.conn.provider);
    if (adapter === undefined) {
      await release(events);
      return [];
    }
    const out: PassResult[] = [];
    slot.running++;
    try {
      const plans = groupIntoPasses(events, now, schedule, full);
      for (let i = 0; i < plans.length; i++) {
        const plan = plans[i];
        if (plan === undefined) continue;
        if (deps.signal().aborted) {
          // Stopping: hand back the passes of this race that have not started.
          await release(plans.slice(i).flatMap((p) => p.events));
          break;
        }
        out.push(await runPass({ options, emitter, conn: slot.conn, adapter, budget: slot.budget, signal: deps.signal(), onNextDue: hint }, plan));
      }
    } finally {
      slot.running--;
    }
    return out;
  }

  function reportLateness(events: readonly StoredEvent[], now: Date): void {
    for (const event of events) {
      const dueAt = event.state.nextDueAt;
      if (dueAt === null) continue;
      const lateByMs = now.getTime() - dueAt.getTime();
      if (lateByMs > allowedIntervalMs(event.startsAt, dueAt, schedule)) {
        const tier = event.state.backfilledAt === null ? "backfill" : tierAt(event.startsAt, dueAt, schedule).name;
        safeEmit(emitter, "schedule:late", { provider: event.provider, eventId: event.eventId, raceId: event.raceId, tier, dueAt, lateByMs });
      }
    }
  }

  function track(task: Promise<PassResult[]>): void {
    const settled: Promise<void> = task.then(
      (r) => {
        results.push(...r);
      },
      () => undefined,
    );
    const entry = settled.finally(() => running.delete(entry));
    running.add(entry);
  }

  return {
    get runningCount() {
      return running.size;
    },
    async fill(dueBy) {
      const free = [...slots.values()].reduce((n, s) => n + Math.max(0, s.conn.maxInFlight - s.running), 0);
      if (free <= 0 || deps.signal().aborted) return 0;
      const now = clock.now();
      // Claim deep, not just `free` races: the most urgent races may all belong to a saturated
      // connection (an over-budget morning), and the races of idle connections come after them.
      // Races that cannot start now are handed back at once and stay queued in the store.
      const claimed = await store.claimDue({ owner, now, leaseMs, maxRaces: MAX_CLAIM_RACES + foreignRaces.size, providers });
      if (claimed.length === 0) return 0;
      const budgets = await store.getBudgets({ now, keys: [...new Set([...slots.values()].map((s) => s.conn.budgetKey))] });
      let started = 0;
      const handBack: StoredEvent[] = [];
      const deferredTo: { at: Date; events: StoredEvent[] }[] = [];
      for (const race of byRace(claimed)) {
        const raceKey = `${race[0]?.provider}\u0000${race[0]?.raceId}`;
        const due = dueBy === undefined ? race : race.filter((e) => e.state.nextDueAt !== null && e.state.nextDueAt.getTime() <= dueBy.getTime());
        for (const e of race) if (!due.includes(e)) handBack.push(e);
        if (due.length === 0) continue;
        if (deps.signal().aborted) {
          handBack.push(...due);
          continue;
        }
        const choice = chooseConnection([...new Set(due.flatMap((e) => e.connectionIds))], slots, budgets, now, true);
        if (choice === null) {
          // Seen only through another engine's credentials: leave it to that engine.
          foreignRaces.add(raceKey);
          handBack.push(...due);
          continue;
        }
        foreignRaces.delete(raceKey);
        if ("busy" in choice) {
          handBack.push(...due);
          continue;
        }
        if ("paused" in choice) {
          // Every connection that sees the race is paused: come back when the first pause ends.
          deferredTo.push({ at: choice.paused, events: due });
          continue;
        }
        started++;
        track(runRace(due, choice.slot, false));
      }
      for (const d of deferredTo) {
        await store.updateSchedule({ now, patches: d.events.map((e) => ({ provider: e.provider, eventId: e.eventId, nextDueAt: d.at })) });
        hint(d.at);
        handBack.push(...d.events);
      }
      if (handBack.length > 0) await release(handBack);
      return started;
    },
    async runClaimed(events, full) {
      const now = clock.now();
      const budgets = await store.getBudgets({ now });
      const choice = chooseConnection([...new Set(events.flatMap((e) => e.connectionIds))], slots, budgets, now);
      if (choice === null || "paused" in choice || "busy" in choice) {
        await release(events);
        return [];
      }
      const task = runRace(events, choice.slot, full);
      track(task.then(() => []));
      return task;
    },
    anyDone() {
      return running.size === 0 ? Promise.resolve() : Promise.race(running);
    },
    async allDone() {
      while (running.size > 0) await Promise.all(running);
    },
    nextKnownDue(now) {
      dueHints = dueHints.filter((t) => t > now.getTime());
      return dueHints.length === 0 ? null : new Date(Math.min(...dueHints));
    },
    drainResults() {
      const out = results;
      results = [];
      return out;
    },
  };
}
