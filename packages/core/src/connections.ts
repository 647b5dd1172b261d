import { createBudget, type PrioritizedBudget } from "./budget.js";
import { createProviderClock, type ProviderClock, type SkewReport } from "./clock-skew.js";
import type { ResolvedConnection, ResolvedOptions } from "./options.js";
import { createSemaphore, type Semaphore } from "./semaphore.js";
import type { BudgetState, StoredEvent } from "./store.js";

/** A connection with its budget and what this process is running on it. */
export interface ConnectionSlot {
  readonly conn: ResolvedConnection;
  readonly budget: PrioritizedBudget;
  readonly local: Semaphore;
  /** This host's clock against the connection's provider, measured from every response. */
  readonly providerClock: ProviderClock;
  /** Passes (race tasks) this process runs on the connection now. */
  running: number;
}

/**
 * One budget per connection for the engine's lifetime; slots expire at two leases (a dead
 * process). `onSkew` hears each connection's clock-skew reports.
 */
export function createConnectionSlots(
  options: ResolvedOptions,
  onSkew: (conn: ResolvedConnection, report: SkewReport) => void = () => undefined,
): Map<string, ConnectionSlot> {
  const slots = new Map<string, ConnectionSlot>();
  const locals = new Map<string, Semaphore>();
  const queues = new Map<string, Semaphore>();
  for (const conn of options.connections) {
    // Connections may share a budget key (one partner, two configs): they share one local gate too.
    let local = locals.get(conn.budgetKey);
    if (local === undefined) {
      local = createSemaphore(conn.maxInFlight);
      locals.set(conn.budgetKey, local);
      queues.set(conn.budgetKey, createSemaphore(1));
    }
    const budget = createBudget({
      store: options.store,
      clock: options.clock,
      key: conn.budgetKey,
      owner: options.owner,
      limits: { callsPerHour: conn.callsPerHour, burst: conn.burst, maxInFlight: conn.maxInFlight },
      slotTtlMs: options.leaseMs * 2,
      local,
      tokenQueue: queues.get(conn.budgetKey),
    });
    const providerClock = createProviderClock(options.clock, (report) => onSkew(conn, report));
    slots.set(conn.id, { conn, budget, local, providerClock, running: 0 });
  }
  return slots;
}

/**
 * The connections a race's events can be synced through: those that see them, less any whose
 * link the provider refused (a forbidden link never gets the race, even if another event of the
 * race still lists it unmarked).
 */
export function usableConnectionIds(events: readonly Pick<StoredEvent, "connectionIds" | "forbidden">[]): string[] {
  const refused = new Set(events.flatMap((e) => e.forbidden.map((f) => f.connectionId)));
  return [...new Set(events.flatMap((e) => e.connectionIds))].filter((id) => !refused.has(id));
}

/** Tokens a budget key holds now; a key the store has not seen yet starts with a full bucket. */
export function tokensOf(conn: ResolvedConnection, budgets: readonly BudgetState[]): number {
  const state = budgets.find((b) => b.key === conn.budgetKey);
  return state === undefined ? conn.burst : state.tokens;
}

/** The pause of a key at `now`, if any. */
export function pausedUntil(conn: ResolvedConnection, budgets: readonly BudgetState[], now: Date): Date | null {
  const until = budgets.find((b) => b.key === conn.budgetKey)?.pausedUntil ?? null;
  return until !== null && until.getTime() > now.getTime() ? until : null;
}

/**
 * Picks the connection a race is synced through: among this engine's connections that see it,
 * one that is not paused, with the most tokens left, then the fewest passes running. A race
 * visible to two partners' credentials is thus synced once, through whichever has budget.
 * Returns `paused` with the earliest resume when every candidate is paused, `busy` when every
 * candidate is saturated (with `needRoom`), or null when none of them belongs to this engine.
 */
export function chooseConnection(
  connectionIds: readonly string[],
  slots: ReadonlyMap<string, ConnectionSlot>,
  budgets: readonly BudgetState[],
  now: Date,
  needRoom = false,
  urgent = false,
): { readonly slot: ConnectionSlot } | { readonly paused: Date } | { readonly busy: true } | null {
  const all = connectionIds.map((id) => slots.get(id)).filter((s): s is ConnectionSlot => s !== undefined);
  if (all.length === 0) return null;
  // With `needRoom`, only connections with a free in-flight slot: a pass handed to a saturated
  // connection would only wait for its turn while holding work other connections could do.
  const candidates = needRoom ? all.filter((s) => s.running < passLimit(s, urgent)) : all;
  if (candidates.length === 0) return { busy: true };
  let best: ConnectionSlot | null = null;
  let earliestResume: Date | null = null;
  for (const slot of candidates) {
    const until = pausedUntil(slot.conn, budgets, now);
    if (until !== null) {
      if (earliestResume === null || until.getTime() < earliestResume.getTime()) earliestResume = until;
      continue;
    }
    if (best === null) {
      best = slot;
      continue;
    }
    const a = tokensOf(slot.conn, budgets) - slot.running;
    const b = tokensOf(best.conn, budgets) - best.running;
    if (a > b || (a === b && slot.running < best.running)) best = slot;
  }
  if (best !== null) return { slot: best };
  return earliestResume === null ? null : { paused: earliestResume };
}

/**
 * How many passes may run on a connection at once: one per in-flight slot, and as many again for
 * the most urgent tier. Passes are not preempted, so without that lane a high-tier event falling
 * due while both slots run long, budget-starved passes (a batch of daily reconciliations) would
 * wait for them; with it, it starts at once and its requests go first in the budget's queue.
 */
export function passLimit(slot: ConnectionSlot, urgent: boolean): number {
  return urgent ? slot.conn.maxInFlight * 2 : slot.conn.maxInFlight;
}
