import { createBudget, type PrioritizedBudget } from "./budget.js";
import type { ConnectionsChange } from "./engine-types.js";
import { AbortedError } from "./errors.js";
import { createProviderClock, type ProviderClock, type SkewReport } from "./clock-skew.js";
import type { ResolvedConnection, ResolvedOptions } from "./options.js";
import { sameRawPolicy } from "./privacy.js";
import { createSemaphore, type Semaphore } from "./semaphore.js";
import type { BudgetState, StoredEvent } from "./store.js";

/**
 * A connection with its budget and what this process is running on it. `setConnections` updates
 * a slot in place (so `running` stays true for passes already started) or drops it.
 */
export interface ConnectionSlot {
  conn: ResolvedConnection;
  budget: PrioritizedBudget;
  local: Semaphore;
  /** In-process token queue, shared like `local` by the connections of one budget key. */
  queue: Semaphore;
  /** This host's clock against the connection's provider, measured from every response. */
  providerClock: ProviderClock;
  /** Passes (race tasks) this process runs on the connection now. */
  running: number;
  /** Aborted when the connection is removed or its credentials change: its running passes stop. */
  abort: AbortController;
}

/** Hears a connection's clock-skew reports. */
export type SkewListener = (conn: ResolvedConnection, report: SkewReport) => void;

/**
 * One budget per connection; slots expire at two leases (a dead process). `onSkew` hears each
 * connection's clock-skew reports.
 */
export function createConnectionSlots(options: ResolvedOptions, onSkew: SkewListener = () => undefined): Map<string, ConnectionSlot> {
  const slots = new Map<string, ConnectionSlot>();
  for (const conn of options.connections) slots.set(conn.id, newSlot(conn, slots, options, onSkew));
  return slots;
}

function newSlot(conn: ResolvedConnection, slots: ReadonlyMap<string, ConnectionSlot>, options: ResolvedOptions, onSkew: SkewListener): ConnectionSlot {
  const { local, queue } = gatesFor(conn, slots);
  const slot: ConnectionSlot = {
    conn,
    budget: budgetFor(conn, local, queue, options),
    local,
    queue,
    running: 0,
    abort: new AbortController(),
    // Reports name the slot's connection as it is now (a reload may have updated it).
    providerClock: createProviderClock(options.clock, (report) => onSkew(slot.conn, report)),
  };
  return slot;
}

/**
 * Connections may share a budget key (one partner, two configs): they share one local gate and
 * token queue too, as long as they agree on `maxInFlight` (a changed limit gets a fresh gate).
 */
function gatesFor(conn: ResolvedConnection, slots: ReadonlyMap<string, ConnectionSlot>, except?: string): { local: Semaphore; queue: Semaphore } {
  for (const slot of slots.values()) {
    if (slot.conn.id !== except && slot.conn.budgetKey === conn.budgetKey && slot.conn.maxInFlight === conn.maxInFlight) return { local: slot.local, queue: slot.queue };
  }
  return { local: createSemaphore(conn.maxInFlight), queue: createSemaphore(1) };
}

function budgetFor(conn: ResolvedConnection, local: Semaphore, queue: Semaphore, options: ResolvedOptions): PrioritizedBudget {
  return createBudget({
    store: options.store,
    clock: options.clock,
    key: conn.budgetKey,
    owner: options.owner,
    limits: { callsPerHour: conn.callsPerHour, burst: conn.burst, maxInFlight: conn.maxInFlight },
    slotTtlMs: options.leaseMs * 2,
    local,
    tokenQueue: queue,
  });
}

function sameBudget(a: ResolvedConnection, b: ResolvedConnection): boolean {
  return a.budgetKey === b.budgetKey && a.callsPerHour === b.callsPerHour && a.burst === b.burst && a.maxInFlight === b.maxInFlight;
}

/** Same provider, base URL, credential values and privacy settings: running passes may go on. */
function sameAccess(a: ResolvedConnection, b: ResolvedConnection): boolean {
  if (a.provider !== b.provider || a.baseUrl !== b.baseUrl || a.includeQuestions !== b.includeQuestions || !sameRawPolicy(a.raw, b.raw)) return false;
  const ka = Object.keys(a.credentials).sort();
  const kb = Object.keys(b.credentials).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a.credentials[k]?.reveal() === b.credentials[k]?.reveal());
}

/**
 * Applies a new connection list to the slots: new ids get a slot; a changed budget gets a new
 * budget object (the store's bucket for the key carries on, with the new limits on the next
 * take); changed credentials, base URL, provider or privacy settings abort the running passes,
 * which leave their events due, unfailed, to be rerun with the new settings; removed ids are
 * dropped and their running passes aborted. Returns the ids by kind of change.
 */
export function applyConnections(
  slots: Map<string, ConnectionSlot>,
  next: readonly ResolvedConnection[],
  options: ResolvedOptions,
  onSkew: SkewListener = () => undefined,
): ConnectionsChange {
  const added: string[] = [];
  const updated: string[] = [];
  const removed: string[] = [];
  const interrupted: string[] = [];
  const nextIds = new Set(next.map((c) => c.id));
  for (const [id, slot] of slots) {
    if (nextIds.has(id)) continue;
    slots.delete(id);
    removed.push(id);
    if (slot.running > 0) interrupted.push(id);
    slot.abort.abort(new AbortedError(`[core] connection ${id} was removed`));
  }
  for (const conn of next) {
    const slot = slots.get(conn.id);
    if (slot === undefined) {
      slots.set(conn.id, newSlot(conn, slots, options, onSkew));
      added.push(conn.id);
      continue;
    }
    const budgetSame = sameBudget(slot.conn, conn);
    const accessSame = sameAccess(slot.conn, conn);
    if (budgetSame && accessSame) continue;
    updated.push(conn.id);
    if (!budgetSame) {
      const gates = gatesFor(conn, slots, conn.id);
      slot.local = gates.local;
      slot.queue = gates.queue;
      slot.budget = budgetFor(conn, gates.local, gates.queue, options);
    }
    slot.conn = conn;
    if (!accessSame) {
      if (slot.running > 0) interrupted.push(conn.id);
      slot.abort.abort(new AbortedError(`[core] connection ${conn.id} changed; its passes rerun with the new settings`));
      slot.abort = new AbortController();
    }
  }
  return { added, updated, removed, interrupted };
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
