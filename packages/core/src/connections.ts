import { createBudget, type PrioritizedBudget } from "./budget.js";
import type { ConnectionsChange } from "./engine-types.js";
import { AbortedError } from "./errors.js";
import { createProviderClock, type ProviderClock, type SkewReport } from "./clock-skew.js";
import type { ResolvedConnection, ResolvedOptions } from "./options.js";
import { sameRawPolicy } from "./privacy.js";
import { createSemaphore, type Semaphore } from "./semaphore.js";

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

function newSlot(
  conn: ResolvedConnection,
  slots: ReadonlyMap<string, ConnectionSlot>,
  options: ResolvedOptions,
  onSkew: SkewListener,
): ConnectionSlot {
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
function gatesFor(
  conn: ResolvedConnection,
  slots: ReadonlyMap<string, ConnectionSlot>,
  except?: string,
): { local: Semaphore; queue: Semaphore } {
  for (const slot of slots.values()) {
    if (slot.conn.id !== except && slot.conn.budgetKey === conn.budgetKey && slot.conn.maxInFlight === conn.maxInFlight)
      return { local: slot.local, queue: slot.queue };
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
    urgentReserve: conn.urgentReserve,
  });
}

function sameBudget(a: ResolvedConnection, b: ResolvedConnection): boolean {
  return (
    a.budgetKey === b.budgetKey &&
    a.callsPerHour === b.callsPerHour &&
    a.burst === b.burst &&
    a.maxInFlight === b.maxInFlight &&
    a.urgentReserve === b.urgentReserve
  );
}

/** Same provider, base URL, credential values and privacy settings: running passes may go on. */
function sameAccess(a: ResolvedConnection, b: ResolvedConnection): boolean {
  if (a.provider !== b.provider || a.baseUrl !== b.baseUrl || a.includeQuestions !== b.includeQuestions || !sameRawPolicy(a.raw, b.raw))
    return false;
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
