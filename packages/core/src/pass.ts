import type { EventEmitter } from "eventemitter3";
import type { CallContext, FetchRegistrationsArgs, ProviderAdapter } from "./adapter.js";
import { countingBudget, type PrioritizedBudget } from "./budget.js";
import type { ProviderClock } from "./clock-skew.js";
import { backfillCursor, modifiedSinceFor } from "./cursor.js";
import { safeEmit } from "./emitter.js";
import type { PassResult } from "./engine-types.js";
import { AbortedError, ForbiddenError, LeaseLostError } from "./errors.js";
import type { EngineEventArgs, PassInfo } from "./events.js";
import { recordForbidden } from "./forbidden.js";
import type { ResolvedConnection, ResolvedOptions, ResolvedSchedule } from "./options.js";
import { failureStates, isInterruption, pauseFor, serializeError, throttledPayload } from "./pass-failure.js";
import { finishStates } from "./pass-states.js";
import { applyRawPolicy } from "./privacy.js";
import type { LeaseKeeper } from "./lease-keeper.js";
import { currentPriority, removalsDue } from "./policy.js";
import { PROBLEM_SAMPLE_SIZE } from "./rows.js";
import type { PageWriteResult, PassFinish, StoredEvent } from "./store.js";
import type { EventRef, PassKind, Page } from "./types.js";

/** One pass to run: events of one race, one kind, leased by this engine. */
export interface PassPlan {
  readonly kind: PassKind;
  readonly raceId: string;
  readonly provider: string;
  readonly events: readonly StoredEvent[];
  /** Read the removal feed whatever its cadence (`syncEvent`: bring the event up to date now). */
  readonly alwaysRemovals?: boolean | undefined;
}

/** What a pass needs from the engine. */
export interface PassDeps {
  readonly options: ResolvedOptions;
  readonly emitter: EventEmitter<EngineEventArgs>;
  readonly conn: ResolvedConnection;
  readonly adapter: ProviderAdapter;
  readonly budget: PrioritizedBudget;
  /** Renews the pass's leases while it runs. */
  readonly leases: LeaseKeeper;
  /** The connection's clock skew: signposts move back by it when this host runs ahead of the provider. */
  readonly providerClock?: ProviderClock | undefined;
  /** Aborted when the engine gives up on the pass (stop timeout). */
  readonly signal: AbortSignal;
  /** Told when the pass's events are next due, so the loop can wake exactly then. */
  readonly onNextDue?: ((at: Date) => void) | undefined;
}

interface Totals {
  inserted: number;
  updated: number;
  unchanged: number;
  removed: number;
  vanished: number;
  /** Problems with provider data the committed pages had (see `sync:invalid`). */
  problems: number;
}

/**
 * Runs one pass: takes the signpost before any request, streams pages and commits each as it
 * comes (a backfill's page also records its keyset position), and commits the pass's completion
 * (new cursor, next due instant) with its last page. Any failure records the run as failed with
 * a backoff; rows of pages already committed stay, the cursor does not move.
 */
export async function runPass(deps: PassDeps, plan: PassPlan): Promise<PassResult> {
  const { options, emitter, conn, adapter } = deps;
  const { store, clock, schedule, owner } = options;
  const signpost = clock.now();
  const events = plan.events;
  const eventIds = events.map((e) => e.eventId);
  const refs: EventRef[] = events.map((e) => ({ provider: e.provider, eventId: e.eventId }));
  const counter = countingBudget(deps.budget, () => passPriority(plan, clock.now(), schedule));
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(deps.signal.reason ?? new AbortedError("[core] engine stopping"));
  if (deps.signal.aborted) onOuterAbort();
  else deps.signal.addEventListener("abort", onOuterAbort, { once: true });
  // A lost lease means another process syncs these events now: stop at once, write nothing more.
  // Once the last page committed, the store has released the leases itself: nothing is lost.
  let committed = false;
  const hold = deps.leases.holdEvents((lost) => {
    if (committed) return;
    safeEmit(emitter, "lease:lost", { owner, events: lost });
    controller.abort(new LeaseLostError(`[core] lease lost on ${lost.map((r) => r.eventId).join(",")}`, lost));
  }, refs);
  // The signpost in the provider's time: moved back by the largest skew known before or measured
  // during the pass, so the cursor is never later than the provider's clock was at the signpost.
  let correctionMs = deps.providerClock?.correctionMs() ?? 0;
  const providerSignpost = () => new Date(signpost.getTime() - correctionMs);
  const clockOf = deps.providerClock;
  const observeServerTime =
    clockOf === undefined
      ? undefined
      : (serverTime: Date) => {
          clockOf.observe(serverTime);
          correctionMs = Math.max(correctionMs, clockOf.correctionMs());
        };
  const totals: Totals = { inserted: 0, updated: 0, unchanged: 0, removed: 0, vanished: 0, problems: 0 };
  let runId: string | null = null;
  let info: PassInfo | null = null;
  try {
    runId = await store.startRun({ owner, now: signpost, connectionId: conn.id, provider: plan.provider, raceId: plan.raceId, eventIds, kind: plan.kind });
    info = { runId, connectionId: conn.id, provider: plan.provider, raceId: plan.raceId, eventIds, kind: plan.kind };
    const resumeAfter = plan.kind === "backfill" ? (events[0]?.state.backfillAfter ?? undefined) : undefined;
    const firstAttempt = plan.kind === "backfill" ? oldest(events.map((e) => e.state.cursorAt)) : null;
    const cursorOf = () => (plan.kind === "backfill" ? backfillCursor(providerSignpost(), firstAttempt) : providerSignpost());
    let cursorAt = cursorOf();
    if (plan.kind === "backfill") {
      // Remember the first attempt's signpost: a crash after some pages must not lose changes made to them.
      const fresh = events.filter((e) => e.state.cursorAt === null);
      if (fresh.length > 0) {
        await store.updateSchedule({ now: clock.now(), patches: fresh.map((e) => ({ provider: e.provider, eventId: e.eventId, cursorAt: providerSignpost() })) });
      }
    }
    const modifiedSince = plan.kind === "incremental" ? modifiedSinceFor(events.map((e) => e.state.cursorAt), schedule.overlapMs) : undefined;
    let removalsRan = plan.kind === "backfill" || plan.alwaysRemovals === true || events.some((e) => removalsDue(e.state, signpost));
    const removalsSince = plan.kind === "backfill" ? undefined : modifiedSinceFor(events.map((e) => e.state.removalsCursorAt), schedule.overlapMs);
    const resumed = resumeAfter !== undefined;
    const vanishing = plan.kind === "reconcile" || (plan.kind === "backfill" && !resumed);
    const seen: string[] = [];
    // Registrations rows that could not be read have ids nobody knows, so a full pull that met any
    // cannot tell a vanished registration from an unreadable one: it vanishes nothing then.
    let unreadable = 0;
    const vanishShare = () => (unreadable > 0 ? 0 : schedule.maxVanishShare);
    safeEmit(emitter, "sync:start", { ...info, modifiedSince: modifiedSince ?? null });

    let finishedStates: PassFinish["states"] = [];
    const finish = (): PassFinish => {
      cursorAt = cursorOf();
      finishedStates = finishStates(events, { kind: plan.kind, signpost, cursorAt, removalsCursorAt: providerSignpost(), removalsRan, resumed }, schedule);
      return {
        apiCalls: counter.calls(),
        states: finishedStates,
        vanish: vanishing ? { seenRegistrationIds: seen, maxShare: vanishShare() } : undefined,
      };
    };
    const ctx: CallContext = { budget: counter.budget, signal: controller.signal, now: signpost, observeServerTime };
    const base: FetchRegistrationsArgs = { raceId: plan.raceId, eventIds };
    const passInfo = info;
    /** Streams one feed; `closes` says whether its last page completes the pass. True when it did. */
    const feed = async <Row>(kind: "registrations" | "removals", pages: AsyncIterable<Page<Row>>, closes: (last: Page<Row>) => boolean, toArgs: (page: Page<Row>) => object) => {
      for await (const page of pages) {
        const isLast = page.after === null;
        const last = isLast && closes(page);
        const result = await store.commitPage({
          owner,
          now: clock.now(),
          runId: passInfo.runId,
          provider: plan.provider,
          eventIds,
          ...toArgs(page),
          backfillAfter: kind === "registrations" && plan.kind === "backfill" && page.after !== null ? page.after : undefined,
          finish: isLast && last ? finish() : undefined,
        });
        add(totals, result);
        safeEmit(emitter, "sync:page", { ...passInfo, feed: kind, rows: page.rows.length, ...pick(result) });
        reportProblems(deps, passInfo, kind, result.problems);
        if (result.returned !== undefined && result.returned.length > 0) safeEmit(emitter, "privacy:returned", { ...passInfo, registrations: result.returned });
        if (kind === "registrations") unreadable += result.problems?.filter((p) => p.skipped).length ?? 0;
        if (result.vanish?.refused === true) await reportRefusal(deps, passInfo, events, seen, result.vanish.active, vanishShare());
        if (isLast) return last;
        if (controller.signal.aborted) throw controller.signal.reason;
      }
      if (closes({ rows: [], after: null })) {
        // A feed that ended without a closing page still completes the pass.
        const result = await store.commitPage({ owner, now: clock.now(), runId: passInfo.runId, provider: plan.provider, eventIds, finish: finish() });
        add(totals, result);
        return true;
      }
      return false;
    };

    const regPages = adapter.fetchRegistrations(conn, { ...base, modifiedSince, after: resumeAfter }, ctx);
    // Without the removal feed, an empty last page with nothing inserted before closes the pass
    // in its own transaction (the common race-morning pass); any other ending decides below.
    const closed = await feed("registrations", regPages, (last) => !removalsRan && totals.inserted === 0 && last.rows.length === 0, (page) => {
      if (vanishing) for (const row of page.rows) seen.push(row.registrationId);
      unreadable += page.skipped?.length ?? 0;
      // The connection's raw policy applies before anything reaches the store.
      return { registrations: applyRawPolicy(page.rows, conn.raw), skipped: page.skipped };
    });
    // A pass that inserted registrations reads the removal feed too, whatever its cadence: a
    // transfer appears as a new registration before the old one's removal, and until the removal
    // feed runs both would stand as active.
    if (!closed && totals.inserted > 0) removalsRan = true;
    if (removalsRan) {
      const remPages = adapter.fetchRemovals(conn, { ...base, modifiedSince: removalsSince }, ctx);
      await feed("removals", remPages, () => true, (page) => ({ removals: applyRawPolicy(page.rows, conn.raw), skipped: page.skipped }));
    } else if (!closed) {
      await feed("registrations", emptyFeed(), () => true, () => ({}));
    }
    committed = true;
    hold.release();
    for (const state of finishedStates) if (state.nextDueAt != null) deps.onNextDue?.(state.nextDueAt);
    safeEmit(emitter, "sync:finish", { ...info, apiCalls: counter.calls(), ...totals, durationMs: clock.now().getTime() - signpost.getTime(), cursorAt });
    return result(plan, conn.id, runId, true, counter.calls(), totals, null);
  } catch (error) {
    const failure = await recordFailure(deps, plan, runId, info, error, counter.calls(), controller);
    return result(plan, conn.id, runId, false, counter.calls(), totals, failure);
  } finally {
    hold.release();
    deps.signal.removeEventListener("abort", onOuterAbort);
  }
}

async function recordFailure(
  deps: PassDeps,
  plan: PassPlan,
  runId: string | null,
  info: PassInfo | null,
  rawError: unknown,
  apiCalls: number,
  controller: AbortController,
): Promise<ReturnType<typeof serializeError>> {
  const { options, emitter, conn } = deps;
  const { store, clock, owner } = options;
  // An adapter aborted by a lost lease may surface its own abort error; report the real reason.
  const error = controller.signal.aborted && !(rawError instanceof LeaseLostError) && isInterruption(controller.signal.reason) ? controller.signal.reason : rawError;
  const now = clock.now();
  const serialized = serializeError(error);
  const pause = pauseFor(error, now);
  if (pause !== null) {
    await store.pauseBudget({ key: conn.budgetKey, now, until: pause.until, reason: pause.reason }).catch(() => undefined);
    safeEmit(emitter, "budget:throttled", throttledPayload(conn, pause));
  }
  const marked = error instanceof ForbiddenError && (await recordForbidden(options, emitter, conn, plan, error, serialized, now));
  const { states, retryAt, failures } = failureStates(plan.events, error, now, options, pause, marked);
  if (retryAt !== null) deps.onNextDue?.(retryAt);
  const eventIds = plan.events.map((e) => e.eventId);
  if (runId !== null) {
    await store
      .failRun({ owner, now, runId, provider: plan.provider, eventIds, apiCalls, error: serialized, states })
      .catch(() => undefined); // a store that refuses (lease gone) already keeps the state as it was
  } else {
    await store.releaseLeases({ owner, now, refs: plan.events.map((e) => ({ provider: e.provider, eventId: e.eventId })) }).catch(() => undefined);
  }
  if (error instanceof LeaseLostError && !controller.signal.aborted) {
    safeEmit(emitter, "lease:lost", { owner, events: error.events.map((e) => ({ provider: e.provider, eventId: e.eventId })) });
  }
  const passInfo = info ?? { runId: runId ?? "", connectionId: conn.id, provider: plan.provider, raceId: plan.raceId, eventIds, kind: plan.kind };
  safeEmit(emitter, "sync:error", { ...passInfo, error: serialized, failures, retryAt });
  return serialized;
}

async function reportRefusal(deps: PassDeps, info: PassInfo, events: readonly StoredEvent[], seen: readonly string[], active: number, maxShare: number): Promise<void> {
  const seenSet = new Set(seen);
  let wouldVanish = 0;
  try {
    const stored = await deps.options.store.listRegistrations({ provider: info.provider, eventIds: events.map((e) => e.eventId) });
    for (const reg of stored) if (reg.status === "active" && !seenSet.has(reg.registrationId)) wouldVanish++;
  } catch {
    wouldVanish = Math.ceil(active * deps.options.schedule.maxVanishShare);
  }
  safeEmit(deps.emitter, "reconcile:refused", { ...info, wouldVanish, active, maxShare });
}

/** How urgent the pass's requests are when they queue for the budget: its most urgent event now. */
function passPriority(plan: PassPlan, at: Date, schedule: ResolvedSchedule): number {
  return Math.min(
    ...plan.events.map((e) => currentPriority(e, e.state.backfilledAt !== null, at, schedule)),
  );
}

/** A feed with no pages: lets a pass whose last page did not close it commit its completion alone. */
async function* emptyFeed(): AsyncIterable<Page<never>> {}

function oldest(dates: readonly (Date | null)[]): Date | null {
  let best: Date | null = null;
  for (const d of dates) if (d !== null && (best === null || d.getTime() < best.getTime())) best = d;
  return best;
}

/** Emits `sync:invalid` for a page whose provider data had problems (the page committed anyway). */
function reportProblems(deps: PassDeps, info: PassInfo, feed: "registrations" | "removals", problems: PageWriteResult["problems"]): void {
  if (problems === undefined || problems.length === 0) return;
  const skipped = problems.filter((p) => p.skipped).length;
  safeEmit(deps.emitter, "sync:invalid", { ...info, feed, count: problems.length, skipped, problems: problems.slice(0, PROBLEM_SAMPLE_SIZE) });
}

function pick(r: { inserted: number; updated: number; unchanged: number; removed: number }) {
  return { inserted: r.inserted, updated: r.updated, unchanged: r.unchanged, removed: r.removed };
}

function add(totals: Totals, r: PageWriteResult): void {
  totals.inserted += r.inserted;
  totals.updated += r.updated;
  totals.unchanged += r.unchanged;
  totals.removed += r.removed;
  totals.vanished += r.vanish?.vanished ?? 0;
  totals.problems += r.problems?.length ?? 0;
}

function result(plan: PassPlan, connectionId: string, runId: string | null, ok: boolean, apiCalls: number, totals: Totals, error: PassResult["error"]): PassResult {
  return { runId, connectionId, provider: plan.provider, raceId: plan.raceId, eventIds: plan.events.map((e) => e.eventId), kind: plan.kind, ok, apiCalls, ...totals, error };
}
