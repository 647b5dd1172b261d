import type { EventEmitter } from "eventemitter3";
import type { ConnectionSlot } from "./connections.js";
import {
  type BudgetView,
  budgetHasRoom,
  claimLanes,
  decideClaimedRace,
  decideManualRace,
  heldAdmission,
  laneRoom,
  splitDue,
} from "./dispatch.js";
import { safeEmit } from "./emitter.js";
import type { PassResult } from "./engine-types.js";
import type { EngineEventArgs } from "./events.js";
import { byRace, groupIntoPasses } from "./grouping.js";
import { createHeldRaces } from "./held-races.js";
import type { LeaseKeeper } from "./lease-keeper.js";
import type { ResolvedOptions } from "./options.js";
import { type PassPlan, runPass } from "./pass.js";
import { serializeError } from "./pass-failure.js";
import { alongWithinMs, eventPriority } from "./policy.js";
import { latenessReports, passOrder, refusedResult } from "./scheduler-rules.js";
import type { StoredEvent } from "./store.js";
import type { EventRef } from "./types.js";

/** Claims per `fill`: each one either starts or holds races, so a few always suffice. */
const MAX_CLAIM_ROUNDS = 8;

/** A bound on claims in one `fill(dueBy)` that only found events due after `dueBy`. */
const MAX_PARK_ROUNDS = 10_000;

/** What the dispatcher shares with the engine. */
export interface SchedulerDeps {
  readonly options: ResolvedOptions;
  readonly emitter: EventEmitter<EngineEventArgs>;
  readonly slots: ReadonlyMap<string, ConnectionSlot>;
  /** Renews the leases of every race this process holds, running or waiting. */
  readonly leases: LeaseKeeper;
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
  /** Hands back the leases of races claimed but not started (stop). */
  releaseHeld(): Promise<void>;
  /** Hands back the events `fill(dueBy)` claimed but left because they fell due after `dueBy` (end of `runOnce`). */
  releaseParked(): Promise<void>;
  /** Hands back the leases of races held for these connections (removed by `setConnections`). */
  releaseHeldFor(connectionIds: readonly string[]): Promise<void>;
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
 * The dispatcher: the store orders claims by priority and then by how overdue the event is, and
 * the engine claims only as many races as it has free slots, so the queue stays in the store,
 * where the most urgent and most overdue work is always taken next: that makes degradation fair
 * on an over-budget morning. Claims name the connections that have room, so a saturated
 * connection's backlog stays in the store for whichever process frees up first. A race claimed
 * for a connection whose only free lane is the urgent one waits in a short per-connection hold
 * (at most `maxInFlight` races) until a slot frees up.
 */
export function createScheduler(deps: SchedulerDeps): Scheduler {
  const { options, emitter, slots } = deps;
  const { store, clock, owner, leaseMs, schedule } = options;
  const providers = [...options.adapters.keys()];
  const running = new Set<Promise<void>>();
  const held = createHeldRaces();
  /**
   * For `fill(dueBy)`: events claimed that fell due only after `dueBy`. They keep their lease
   * until the run ends, so the next claim reaches past them to work that was due when the run
   * began; handed back at once, they would come first again (a high tier falls due every
   * minute) and end the run with older, less urgent work undone.
   */
  let parked: StoredEvent[] = [];
  // Held races keep their leases until they start or are handed back; a race any of whose
  // leases is lost is forgotten whole (another process has it).
  const heldLeases = deps.leases.holdEvents((lost) => heldLeases.remove(held.drop(lost)));
  let results: PassResult[] = [];
  /** Due instants this process set; lets the loop wake exactly when work falls due. */
  let dueHints: number[] = [];
  const hint = (at: Date) => {
    dueHints.push(at.getTime());
  };

  const release = (events: readonly StoredEvent[]) =>
    store.releaseLeases({ owner, now: clock.now(), refs: events.map((e) => ({ provider: e.provider, eventId: e.eventId })) });

  /** Runs a race's passes on one connection; `manual` (syncEvent) reads the removal feed in each. */
  async function runRace(
    events: readonly StoredEvent[],
    slot: ConnectionSlot,
    full: boolean,
    manual = false,
    /** The budgets a claim round just read, if any: read again only without them. */
    budgets?: readonly BudgetView[],
  ): Promise<PassResult[]> {
    const now = clock.now();
    for (const late of latenessReports(events, now, schedule)) safeEmit(emitter, "schedule:late", late);
    const adapter = options.adapters.get(slot.conn.provider);
    if (adapter === undefined) {
      await release(events);
      return [];
    }
    const out: PassResult[] = [];
    // Stops with the engine (stop timeout) and with the connection (removed, or new credentials).
    const signal = AbortSignal.any([deps.signal(), slot.abort.signal]);
    slot.running++;
    // The race's later passes wait while the first ones run: their leases are kept too. Each
    // pass takes its own events over from this hold when it starts.
    const lostWhileWaiting: EventRef[] = [];
    const waiting = deps.leases.holdEvents((lost) => {
      lostWhileWaiting.push(...lost);
      safeEmit(emitter, "lease:lost", { owner, events: lost });
    }, events);
    try {
      // The race's most urgent pass first: its waiting passes keep their leases, so a high-tier
      // pass queued behind a long backfill of the same race would wait for all of it.
      const urgency = (p: PassPlan) => Math.min(...p.events.map((e) => passOrder(e, now, schedule)));
      // `syncEvent` reads the removal feed anyway. Unread budgets (the database is failing: so
      // will the pass) count as no room: no extra call.
      const budgetRoom =
        schedule.removalsWithRoom &&
        !manual &&
        (await (budgets !== undefined ? Promise.resolve(budgets) : store.getBudgets({ now, keys: [slot.conn.budgetKey] })).then(
          (read) => budgetHasRoom(slot.conn, read),
          () => false,
        ));
      const plans = groupIntoPasses(events, now, schedule, full, adapter.pageSize)
        .sort((a, b) => urgency(a) - urgency(b))
        .map((p) => ({ ...p, budgetRoom }));
      for (let i = 0; i < plans.length; i++) {
        const planned = plans[i];
        if (planned === undefined) continue;
        const plan = manual ? { ...planned, alwaysRemovals: true } : planned;
        waiting.remove(plan.events);
        if (signal.aborted) {
          // Stopping: hand back the passes of this race that have not started.
          waiting.release();
          await release(plans.slice(i).flatMap((p) => p.events));
          break;
        }
        if (plan.events.some((e) => lostWhileWaiting.some((l) => l.provider === e.provider && l.eventId === e.eventId))) {
          // Another process has this pass's events now: it syncs them; give back what is left.
          await release(plan.events).catch(() => undefined);
          continue;
        }
        const passResult = await runPass(
          {
            options,
            emitter,
            conn: slot.conn,
            adapter,
            budget: slot.budget,
            leases: deps.leases,
            providerClock: slot.providerClock,
            signal,
            onNextDue: hint,
          },
          plan,
        );
        out.push(passResult);
        if (passResult.error?.code === "FORBIDDEN") {
          // The race is refused to this connection: its other passes go to another connection.
          waiting.release();
          await release(plans.slice(i + 1).flatMap((p) => p.events));
          break;
        }
      }
    } finally {
      waiting.release();
      slot.running--;
    }
    return out;
  }

  function track(task: Promise<PassResult[]>): void {
    const settled: Promise<void> = task.then(
      (r) => {
        results.push(...r);
      },
      // A pass records its own failures; this is an error around them (releasing a lease, say).
      (error: unknown) => safeEmit(emitter, "engine:error", { phase: "pass", error: serializeError(error) }),
    );
    const entry = settled.finally(() => running.delete(entry));
    running.add(entry);
  }

  /**
   * One claim of up to `room` races, each started, held, handed back or deferred as
   * `decideClaimedRace` says; events not due by `dueBy` (`runOnce`) are handed back.
   */
  async function claimRound(
    room: number,
    dueBy: Date | undefined,
    open: readonly string[],
    urgentLanes: boolean,
  ): Promise<{ started: number; held: number; parked: number }> {
    const now = clock.now();
    // Only races the connections with room (`open`) can serve: never claim, and so hoard, the
    // backlog of a saturated connection, which other processes sharing its credential may serve.
    // A race's events falling due within moments come along (not for `runOnce`, which parks
    // whatever falls due after it began).
    const alongMs = dueBy === undefined ? alongWithinMs(schedule) : 0;
    const claimed = await store.claimDue({
      owner,
      now,
      leaseMs,
      maxRaces: room,
      providers,
      connectionIds: open,
      alongWithinMs: alongMs,
    });
    if (claimed.length === 0) return { started: 0, held: 0, parked: 0 };
    const budgets = await store.getBudgets({ now, keys: [...new Set([...slots.values()].map((s) => s.conn.budgetKey))] });
    let started = 0;
    let heldNow = 0;
    let parkedNow = 0;
    const handBack: StoredEvent[] = [];
    for (const race of byRace(claimed)) {
      const { due, later } = splitDue(race, dueBy);
      // Fell due after runOnce began: kept claimed until the run ends, so a long run's repeated
      // high-tier passes cannot crowd out the backfills and lower tiers it must still drain.
      parked.push(...later);
      parkedNow += later.length;
      if (due.length === 0) continue;
      const priority = Math.min(...due.map((e) => eventPriority(e, now, schedule)));
      const heldCounts = new Map([...slots.keys()].map((id) => [id, held.count(id)]));
      const decision = decideClaimedRace({ events: due, priority, now, connections: slots, budgets, urgentLanes, held: heldCounts });
      const slot = "connectionId" in decision ? slots.get(decision.connectionId) : undefined;
      if (decision.action === "start" && slot !== undefined) {
        started++;
        track(runRace(due, slot, false, false, budgets));
      } else if (decision.action === "hold") {
        held.add(decision.connectionId, due);
        heldLeases.add(due);
        heldNow++;
      } else if (decision.action === "defer") {
        await store.updateSchedule({
          now,
          patches: due.map((e) => ({ provider: e.provider, eventId: e.eventId, nextDueAt: decision.until })),
        });
        hint(decision.until);
        handBack.push(...due);
      } else {
        handBack.push(...due);
      }
    }
    if (handBack.length > 0) await release(handBack);
    return { started, held: heldNow, parked: parkedNow };
  }

  return {
    get runningCount() {
      return running.size;
    },
    async fill(dueBy) {
      if (deps.signal().aborted) return 0;
      let started = 0;
      // Held races first: they were claimed earlier, in the store's urgency order.
      for (const slot of slots.values()) {
        for (;;) {
          const admission = heldAdmission(slot);
          if (admission === null) break;
          // Only the urgent lane free: what may take it (the most urgent tier, its backfills
          // included); otherwise the most urgent held race.
          const events = held.take(slot.conn.id, (e) => eventPriority(e, clock.now(), schedule), admission.atMostPriority);
          if (events === undefined) break;
          heldLeases.remove(events);
          started++;
          track(runRace(events, slot, false));
        }
      }
      // Rounds that only parked events (due after `dueBy`) do not count: each parks what it
      // claimed, so the claims move on, and the store holds finitely many due events.
      for (let round = 0, parkOnly = 0; round < MAX_CLAIM_ROUNDS && parkOnly < MAX_PARK_ROUNDS && !deps.signal().aborted; round++) {
        // Claim what the ordinary lanes can start now, and separately, for connections whose
        // ordinary lanes are full, what their urgent lanes can. A process that claimed both lanes'
        // worth everywhere would take twice its share and leave other processes idle.
        const { ordinary, urgentOnly } = claimLanes(slots.values());
        let progress = 0;
        let parkedRound = 0;
        for (const [lanes, urgent] of [
          [ordinary, false],
          [urgentOnly, true],
        ] as const) {
          // Measured now: the ordinary claim may have started urgent races on these connections.
          const room = laneRoom(lanes, urgent);
          if (room <= 0) continue;
          const r = await claimRound(
            room,
            dueBy,
            lanes.map((s) => s.conn.id),
            urgent,
          );
          started += r.started;
          progress += r.started + r.held;
          parkedRound += r.parked;
        }
        if (progress === 0 && parkedRound > 0) {
          round--;
          parkOnly++;
          continue;
        }
        if (progress === 0) break;
      }
      return started;
    },
    releaseHeldFor(connectionIds) {
      const events: StoredEvent[] = [];
      for (const id of connectionIds) {
        for (let race = held.take(id); race !== undefined; race = held.take(id)) events.push(...race);
      }
      return events.length === 0 ? Promise.resolve() : release(events);
    },
    releaseHeld() {
      const events = held.drain();
      heldLeases.remove(events);
      return events.length === 0 ? Promise.resolve() : release(events);
    },
    releaseParked() {
      const events = parked;
      parked = [];
      return events.length === 0 ? Promise.resolve() : release(events);
    },
    async runClaimed(events, full) {
      const now = clock.now();
      const budgets = await store.getBudgets({ now });
      const decision = decideManualRace({ events, now, connections: slots, budgets });
      const slot = decision.action === "start" ? slots.get(decision.connectionId) : undefined;
      if (slot === undefined) {
        await release(events);
        const refused =
          decision.action === "handBack" && decision.refusedBy !== null ? refusedResult(events, full, decision.refusedBy) : null;
        return refused === null ? [] : [refused];
      }
      const task = runRace(events, slot, full, true);
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
