import type { EventEmitter } from "eventemitter3";
import type { ConnectionSlot } from "./connections.js";
import { chooseConnection, pausedUntil, tokensOf, usableConnectionIds } from "./dispatch.js";
import { safeEmit } from "./emitter.js";
import { callsForRace } from "./estimate.js";
import type { EngineEventArgs } from "./events.js";
import { byRace } from "./grouping.js";
import type { ResolvedOptions } from "./options.js";
import { eventPriority, tierAt } from "./policy.js";
import type { StoredEvent } from "./store.js";

const HOUR_MS = 3_600_000;
/**
 * How often the loop runs the check. It reads the working set from the store, so not every poll;
 * deferred work stays due meanwhile, and a pass cannot be later than this without
 * `schedule:late` saying so at its start.
 */
const CHECK_EVERY_MS = 5 * 60_000;

/** Watches due work against each connection's budget and says when it cannot all run on time. */
export interface BudgetWatch {
  /** Runs `check` when `CHECK_EVERY_MS` (or the most urgent tier's interval, if longer) has passed. */
  maybeCheck(): Promise<void>;
  /** Compares the due work with what each budget can grant over the next interval; emits `budget:over`. */
  check(now?: Date): Promise<void>;
}

/**
 * The check behind `budget:over`. The horizon is the most urgent tier's interval: work that does
 * not fit in it will be late for that tier. Races are ranked as the store claims them (priority,
 * then most overdue); the calls of each are added up until the budget's tokens plus its refill
 * over the horizon run out, and every event past that point is named as deferred. Nothing is
 * skipped: deferred events stay due and are claimed, most overdue first, as tokens come back.
 */
export function createBudgetWatch(deps: {
  readonly options: ResolvedOptions;
  readonly emitter: EventEmitter<EngineEventArgs>;
  readonly slots: ReadonlyMap<string, ConnectionSlot>;
}): BudgetWatch {
  const { options, emitter, slots } = deps;
  const { store, clock, schedule, owner } = options;
  const horizonMs = schedule.tiers[0]?.everyMs ?? 60_000;
  let lastCheck = -Infinity;

  async function check(at?: Date): Promise<void> {
    const now = at ?? clock.now();
    lastCheck = now.getTime();
    // Due work is among the events not done; years of finished events are never read.
    const all = await store.listWorkingSet({ recentSince: now, providers: [...options.adapters.keys()] });
    const due = all.filter((e) => {
      const s = e.state;
      if (s.nextDueAt === null || s.nextDueAt.getTime() > now.getTime() || !options.adapters.has(e.provider)) return false;
      const leasedByOther =
        s.leaseOwner !== null && s.leaseOwner !== owner && s.leaseExpiresAt !== null && s.leaseExpiresAt.getTime() > now.getTime();
      return !leasedByOther;
    });
    if (due.length === 0) return;
    await refreshPriorities(due, now);
    const budgets = await store.getBudgets({ now });
    const perConnection = new Map<string, StoredEvent[][]>();
    for (const race of byRace(due)) {
      const choice = chooseConnection(usableConnectionIds(race), slots, budgets, now);
      if (choice === null || !("slot" in choice)) continue;
      const list = perConnection.get(choice.slot.conn.id) ?? [];
      list.push(race);
      perConnection.set(choice.slot.conn.id, list);
    }
    for (const [connectionId, races] of perConnection) {
      const conn = (slots.get(connectionId) as ConnectionSlot).conn;
      const refill = ((conn.callsPerHour - conn.burst) / HOUR_MS) * horizonMs;
      const availableCalls = pausedUntil(conn, budgets, now) !== null ? 0 : Math.floor(tokensOf(conn, budgets) + refill);
      races.sort((a, b) => urgency(a) - urgency(b) || dueAt(a) - dueAt(b));
      let neededCalls = 0;
      const deferred: { provider: string; eventId: string }[] = [];
      for (const race of races) {
        neededCalls += callsForRace(race, now, schedule, options.adapters.get(race[0]?.provider ?? "")?.pageSize);
        if (neededCalls > availableCalls) for (const e of race) deferred.push({ provider: e.provider, eventId: e.eventId });
      }
      if (deferred.length > 0)
        safeEmit(emitter, "budget:over", { connectionId, budgetKey: conn.budgetKey, neededCalls, availableCalls, deferred });
    }
  }

  /**
   * A waiting event keeps the priority of its last pass; one that crossed into a more urgent tier
   * while waiting (an over-budget morning) would otherwise queue behind work less urgent than it.
   */
  async function refreshPriorities(due: readonly StoredEvent[], now: Date): Promise<void> {
    const patches = [];
    for (const e of due) {
      const tier = tierAt(e, now, schedule);
      const priority = eventPriority(e, now, schedule);
      if (priority !== e.state.priority || tier.name !== e.state.tier)
        patches.push({ provider: e.provider, eventId: e.eventId, tier: tier.name, priority });
    }
    if (patches.length > 0) await store.updateSchedule({ now, patches });
  }

  return {
    async maybeCheck() {
      if (clock.now().getTime() - lastCheck >= Math.max(horizonMs, CHECK_EVERY_MS)) await check();
    },
    check,
  };
}

function urgency(race: readonly StoredEvent[]): number {
  return Math.min(...race.map((e) => e.state.priority));
}

function dueAt(race: readonly StoredEvent[]): number {
  return Math.min(...race.map((e) => e.state.nextDueAt?.getTime() ?? Infinity));
}
