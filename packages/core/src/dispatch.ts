import type { BudgetState, StoredEvent } from "./store.js";

/**
 * The dispatcher's decisions, each a pure function over plain data: which connection and lane a
 * claimed race starts on (or whether it is held, handed back or deferred), which held race goes
 * next, and how much room each lane has for a claim. `scheduler.ts` does the I/O around them.
 */

/** Priority of the most urgent tier: its races may use the extra pass lane of a busy connection. */
export const URGENT = 0;

/** What a decision needs of a connection: its limits and what this process runs on it. */
export interface ConnectionView {
  readonly conn: { readonly id: string; readonly budgetKey: string; readonly burst: number; readonly maxInFlight: number };
  /** Passes (race tasks) this process runs on the connection now. */
  readonly running: number;
}

/** What a decision needs of a budget key's stored state. */
export type BudgetView = Pick<BudgetState, "key" | "tokens" | "pausedUntil">;

/** What a decision needs of an event: who sees it, and which of those links were refused. */
export type EventLinks = Pick<StoredEvent, "connectionIds" | "forbidden">;

/** Ordinary lanes (one per in-flight slot) or the extra lane kept for the most urgent tier. */
export type Lane = "ordinary" | "urgent";

/**
 * The connections a race's events can be synced through: those that see them, less any whose
 * link the provider refused (a forbidden link never gets the race, even if another event of the
 * race still lists it unmarked).
 */
export function usableConnectionIds(events: readonly EventLinks[]): string[] {
  const refused = new Set(events.flatMap((e) => e.forbidden.map((f) => f.connectionId)));
  return [...new Set(events.flatMap((e) => e.connectionIds))].filter((id) => !refused.has(id));
}

/** Tokens a budget key holds now; a key the store has not seen yet starts with a full bucket. */
export function tokensOf(conn: ConnectionView["conn"], budgets: readonly BudgetView[]): number {
  const state = budgets.find((b) => b.key === conn.budgetKey);
  return state === undefined ? conn.burst : state.tokens;
}

/**
 * Whether a connection's budget has room to spare: its bucket at least half full. A connection
 * spending less than its refill sits at a full bucket; one whose budget binds hovers near empty.
 * Where there is room, a pass also reads the removal feed (see `PassPlan.budgetRoom`).
 */
export function budgetHasRoom(conn: ConnectionView["conn"], budgets: readonly BudgetView[]): boolean {
  return tokensOf(conn, budgets) >= conn.burst / 2;
}

/** The pause of a key at `now`, if any. */
export function pausedUntil(conn: ConnectionView["conn"], budgets: readonly BudgetView[], now: Date): Date | null {
  const until = budgets.find((b) => b.key === conn.budgetKey)?.pausedUntil ?? null;
  return until !== null && until.getTime() > now.getTime() ? until : null;
}

/**
 * How many passes may run on a connection at once: one per in-flight slot, and as many again for
 * the most urgent tier. Passes are not preempted, so without that lane a high-tier event falling
 * due while both slots run long, budget-starved passes (a batch of daily reconciliations) would
 * wait for them; with it, it starts at once and its requests go first in the budget's queue.
 */
export function passLimit(slot: ConnectionView, urgent: boolean): number {
  return urgent ? slot.conn.maxInFlight * 2 : slot.conn.maxInFlight;
}

/** The lane a new pass on this connection would use now: ordinary while an in-flight slot is free. */
export function laneOf(slot: ConnectionView): Lane {
  return slot.running < slot.conn.maxInFlight ? "ordinary" : "urgent";
}

/**
 * Picks the connection a race is synced through: among this engine's connections that see it,
 * one that is not paused, with the most tokens left, then the fewest passes running. A race
 * visible to two partners' credentials is thus synced once, through whichever has budget.
 * Returns `paused` with the earliest resume when every candidate is paused, `busy` when every
 * candidate is saturated (with `needRoom`), or null when none of them belongs to this engine.
 */
export function chooseConnection<S extends ConnectionView>(
  connectionIds: readonly string[],
  slots: ReadonlyMap<string, S>,
  budgets: readonly BudgetView[],
  now: Date,
  needRoom = false,
  urgent = false,
): { readonly slot: S } | { readonly paused: Date } | { readonly busy: true } | null {
  const all = connectionIds.map((id) => slots.get(id)).filter((s): s is S => s !== undefined);
  if (all.length === 0) return null;
  // With `needRoom`, only connections with a free in-flight slot: a pass handed to a saturated
  // connection would only wait for its turn while holding work other connections could do.
  const candidates = needRoom ? all.filter((s) => s.running < passLimit(s, urgent)) : all;
  if (candidates.length === 0) return { busy: true };
  let best: S | null = null;
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

/** The events of a claimed race due by `dueBy` (all of them without it), and the rest. */
export function splitDue<E extends { readonly state: { readonly nextDueAt: Date | null } }>(
  race: readonly E[],
  dueBy: Date | undefined,
): { due: E[]; later: E[] } {
  if (dueBy === undefined) return { due: [...race], later: [] };
  const due = race.filter((e) => e.state.nextDueAt !== null && e.state.nextDueAt.getTime() <= dueBy.getTime());
  return { due, later: race.filter((e) => !due.includes(e)) };
}

/** What becomes of a claimed race's due events. */
export type ClaimedRaceDecision =
  /** Run it now on this connection, in this lane. */
  | { readonly action: "start"; readonly connectionId: string; readonly lane: Lane }
  /** Keep its leases and wait for a free slot of this (saturated) connection. */
  | { readonly action: "hold"; readonly connectionId: string }
  /** Give its leases back for another process (or a later claim) to take. */
  | { readonly action: "handBack"; readonly reason: "unseen" | "urgentClaim" | "holdFull" | "paused" }
  /** Every connection that sees it is paused: due again when the first pause ends. */
  | { readonly action: "defer"; readonly until: Date };

/** The plain data `decideClaimedRace` decides from. */
export interface ClaimedRaceInput {
  /** The race's due events (at least one). */
  readonly events: readonly EventLinks[];
  /** The most urgent of the events' priorities now (by the policy, not as stored). */
  readonly priority: number;
  readonly now: Date;
  /** This engine's connections by id. */
  readonly connections: ReadonlyMap<string, ConnectionView>;
  readonly budgets: readonly BudgetView[];
  /** The claim was made for connections whose ordinary lanes are full (their urgent lanes only). */
  readonly urgentLanes: boolean;
  /** Races held now per connection id (missing: none). */
  readonly held: ReadonlyMap<string, number>;
}

/**
 * Start, hold, hand back or defer a claimed race. It starts on the connection `chooseConnection`
 * picks among those with room (an urgent race may use a saturated connection's urgent lane). When
 * every connection that sees it is saturated, it is held for the best of them, at most one slot's
 * worth (`maxInFlight` races) per connection, so a process never hoards a busy connection's
 * backlog that other processes sharing its credential could serve; a claim for urgent lanes holds
 * nothing (a race it cannot start is not urgent, and processes with ordinary room should have
 * it). A race none of this engine's connections sees (visibility changed since the claim) is
 * handed back; one whose every connection is paused is deferred to the first pause's end.
 */
export function decideClaimedRace(input: ClaimedRaceInput): ClaimedRaceDecision {
  const { connections, budgets, now } = input;
  const ids = usableConnectionIds(input.events);
  const choice = chooseConnection(ids, connections, budgets, now, true, input.priority <= URGENT);
  if (choice === null) return { action: "handBack", reason: "unseen" };
  if ("slot" in choice) return { action: "start", connectionId: choice.slot.conn.id, lane: laneOf(choice.slot) };
  if ("paused" in choice) return { action: "defer", until: choice.paused };
  if (input.urgentLanes) return { action: "handBack", reason: "urgentClaim" };
  const holder = chooseConnection(ids, connections, budgets, now, false);
  if (holder === null || !("slot" in holder)) return { action: "handBack", reason: "paused" };
  const id = holder.slot.conn.id;
  if ((input.held.get(id) ?? 0) >= holder.slot.conn.maxInFlight) return { action: "handBack", reason: "holdFull" };
  return { action: "hold", connectionId: id };
}

/** What `syncEvent` does with the events it claimed. */
export type ManualRaceDecision =
  /** Run them now on this connection, whatever its lanes (an operator asked for it). */
  | { readonly action: "start"; readonly connectionId: string }
  /**
   * Give the leases back: every connection that sees them is paused, or none of this engine's
   * does. `refusedBy` names this engine's connections when each of them that sees the events was
   * refused their race (sorted), else null.
   */
  | { readonly action: "handBack"; readonly refusedBy: readonly string[] | null };

/**
 * For `syncEvent`: the connection `chooseConnection` picks, without regard to free slots; when
 * there is none, whether the reason is that the provider refused the race to every connection of
 * this engine that sees it (a result that says so beats a silent "busy").
 */
export function decideManualRace(input: {
  readonly events: readonly EventLinks[];
  readonly now: Date;
  readonly connections: ReadonlyMap<string, ConnectionView>;
  readonly budgets: readonly BudgetView[];
}): ManualRaceDecision {
  const { events, connections } = input;
  const choice = chooseConnection(usableConnectionIds(events), connections, input.budgets, input.now);
  if (choice !== null && "slot" in choice) return { action: "start", connectionId: choice.slot.conn.id };
  const ours = [...new Set(events.flatMap((e) => e.connectionIds))].filter((id) => connections.has(id));
  if (events.length === 0 || ours.length === 0 || usableConnectionIds(events).some((id) => connections.has(id)))
    return { action: "handBack", refusedBy: null };
  const refused = events.flatMap((e) => e.forbidden).filter((f) => ours.includes(f.connectionId));
  return { action: "handBack", refusedBy: [...new Set(refused.map((f) => f.connectionId))].sort() };
}

/** A held race as `pickHeld` orders it: its priority now and its earliest due instant (ms). */
export interface HeldView {
  readonly priority: number;
  readonly dueAt: number;
}

/** Negative when `a` goes before `b`: more urgent tier first, then the most overdue. */
export function heldUrgency(a: HeldView, b: HeldView): number {
  return a.priority - b.priority || a.dueAt - b.dueAt;
}

/**
 * Which held race of a connection goes next: the index of the most urgent (by priority now, then
 * most overdue; the first of equals, i.e. claim order), or null when the queue is empty or, with
 * `atMostPriority` (only the urgent lane is free), when even the most urgent is less urgent.
 */
export function pickHeld(queue: readonly HeldView[], atMostPriority?: number): number | null {
  if (queue.length === 0) return null;
  let best = 0;
  for (let i = 1; i < queue.length; i++) if (heldUrgency(queue[i] as HeldView, queue[best] as HeldView) < 0) best = i;
  if (atMostPriority !== undefined && (queue[best] as HeldView).priority > atMostPriority) return null;
  return best;
}

/**
 * Which held races a connection may start now: any while an ordinary lane is free, only urgent
 * ones (`atMostPriority`) while only the urgent lane is, none when both are full.
 */
export function heldAdmission(slot: ConnectionView): { readonly atMostPriority?: number } | null {
  if (slot.running >= passLimit(slot, true)) return null;
  return laneOf(slot) === "urgent" ? { atMostPriority: URGENT } : {};
}

/**
 * The connections a claim round claims for, by lane: those with a free ordinary lane, and those
 * whose ordinary lanes are full but whose urgent lane is free. Claiming both lanes' worth
 * everywhere would take twice this process's share and leave other processes idle.
 */
export function claimLanes<S extends ConnectionView>(slots: Iterable<S>): { readonly ordinary: S[]; readonly urgentOnly: S[] } {
  const all = [...slots];
  return {
    ordinary: all.filter((s) => s.running < s.conn.maxInFlight),
    urgentOnly: all.filter((s) => s.running >= s.conn.maxInFlight && s.running < passLimit(s, true)),
  };
}

/** How many races a claim for these connections' lanes may take: their free passes in that lane. */
export function laneRoom(slots: readonly ConnectionView[], urgent: boolean): number {
  return slots.reduce((n, s) => n + passLimit(s, urgent) - s.running, 0);
}
