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
import type { CommitPageArgs, PageWriteResult, PassFinish, SerializedError, StoredEvent } from "./store.js";
import type { EventRef, PassKind, Page } from "./types.js";

/** One pass to run: events of one race, one kind, leased by this engine. */
export interface PassPlan {
  readonly kind: PassKind;
  readonly raceId: string;
  readonly provider: string;
  readonly events: readonly StoredEvent[];
  /** Read the removal feed whatever its cadence (`syncEvent`: bring the event up to date now). */
  readonly alwaysRemovals?: boolean | undefined;
  /**
   * The connection's budget had room when the race started: a pass that does not read the race
   * whole then reads the removal feed too, so a refund shows as fast as a new registration.
   */
  readonly budgetRoom?: boolean | undefined;
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

/** What a pass has seen so far, across its feeds. */
interface Tally {
  readonly totals: Totals;
  /** Registration ids a full pull saw (the rest of the events' active ones vanish). */
  readonly seen: string[];
  /** Rows that could not be read: a full pull that met any vanishes nothing. */
  unreadable: number;
}

/** What a pass reads, fixed at its signpost before its first request. */
interface PassWindow {
  /** Backfill: the keyset position a crashed backfill resumes after. */
  readonly resumeAfter: string | undefined;
  /** Backfill: the first attempt's signpost, when an earlier attempt recorded one. */
  readonly firstAttempt: Date | null;
  readonly modifiedSince: Date | undefined;
  readonly removalsSince: Date | undefined;
  /** The removal feed is due whatever the registrations feed brings. */
  readonly removalsDue: boolean;
  /**
   * A full pull (not a backfill) reads the removal feed only for the reasons of registrations it
   * finds missing (with room to spare, or when the feed's cadence is due) or that went missing
   * since the feed last ran (when its cadence is due): null when neither applies.
   */
  readonly reasons: { readonly room: boolean; readonly cadenceDue: boolean } | null;
  /** A full pull: registrations of the events it does not see vanish. */
  readonly vanishing: boolean;
}

/** The rows one page contributes to its commit. */
type PageRows = Pick<CommitPageArgs, "registrations" | "removals" | "skipped">;

/** How one feed is read: which last page completes the pass, and what each page commits. */
interface FeedStep<Row> {
  readonly closes: (last: Page<Row>) => boolean;
  /** Whether the completion this feed may commit counts the removal feed as read. */
  readonly removalsRan: boolean;
  readonly rows: (page: Page<Row>) => PageRows;
}

/** The completion a pass committed with its last page. */
interface Completion {
  readonly states: PassFinish["states"];
  readonly cursorAt: Date;
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
  const providerSignpost = signpostInProviderTime(signpost, deps.providerClock);
  const tally: Tally = { totals: { inserted: 0, updated: 0, unchanged: 0, removed: 0, vanished: 0, problems: 0 }, seen: [], unreadable: 0 };
  let runId: string | null = null;
  let info: PassInfo | null = null;
  try {
    runId = await store.startRun({
      owner,
      now: signpost,
      connectionId: conn.id,
      provider: plan.provider,
      raceId: plan.raceId,
      eventIds,
      kind: plan.kind,
    });
    const passInfo: PassInfo = { runId, connectionId: conn.id, provider: plan.provider, raceId: plan.raceId, eventIds, kind: plan.kind };
    info = passInfo;
    const window = passWindow(plan, signpost, schedule);
    const resumed = window.resumeAfter !== undefined;
    const cursorOf = () => (plan.kind === "backfill" ? backfillCursor(providerSignpost.at(), window.firstAttempt) : providerSignpost.at());
    if (plan.kind === "backfill") {
      // Remember the first attempt's signpost: a crash after some pages must not lose changes made to them.
      const fresh = events.filter((e) => e.state.cursorAt === null);
      if (fresh.length > 0) {
        await store.updateSchedule({
          now: clock.now(),
          patches: fresh.map((e) => ({ provider: e.provider, eventId: e.eventId, cursorAt: providerSignpost.at() })),
        });
      }
    }
    const vanishShare = () => (tally.unreadable > 0 ? 0 : schedule.maxVanishShare);
    safeEmit(emitter, "sync:start", { ...passInfo, modifiedSince: window.modifiedSince ?? null });

    /** The completion the last page commits, computed at that commit (the skew may have grown). */
    const complete = (removalsRan: boolean): { finish: PassFinish; completion: Completion } => {
      const cursorAt = cursorOf();
      const states = finishStates(
        events,
        { kind: plan.kind, signpost, cursorAt, removalsCursorAt: providerSignpost.at(), removalsRan, resumed },
        schedule,
      );
      const vanish = window.vanishing ? { seenRegistrationIds: tally.seen, maxShare: vanishShare() } : undefined;
      return { finish: { apiCalls: counter.calls(), states, vanish }, completion: { states, cursorAt } };
    };
    const ctx: CallContext = {
      budget: counter.budget,
      signal: controller.signal,
      now: signpost,
      observeServerTime: providerSignpost.observe,
    };
    const base: FetchRegistrationsArgs = { raceId: plan.raceId, eventIds };
    /** Streams one feed, committing each page; returns the completion when its last page completed the pass. */
    const feed = async <Row>(
      kind: "registrations" | "removals",
      pages: AsyncIterable<Page<Row>>,
      step: FeedStep<Row>,
    ): Promise<Completion | null> => {
      for await (const page of pages) {
        const isLast = page.after === null;
        const closes = isLast && step.closes(page);
        // The page's rows first: they count towards the completion (seen ids, unreadable rows).
        const rows = step.rows(page);
        const done = closes ? complete(step.removalsRan) : null;
        const result = await store.commitPage({
          owner,
          now: clock.now(),
          runId: passInfo.runId,
          provider: plan.provider,
          eventIds,
          ...rows,
          backfillAfter: kind === "registrations" && plan.kind === "backfill" && page.after !== null ? page.after : undefined,
          finish: done?.finish,
        });
        add(tally.totals, result);
        safeEmit(emitter, "sync:page", { ...passInfo, feed: kind, rows: page.rows.length, ...pick(result) });
        reportProblems(deps, passInfo, kind, result.problems);
        if (result.returned !== undefined && result.returned.length > 0)
          safeEmit(emitter, "privacy:returned", { ...passInfo, registrations: result.returned });
        if (kind === "registrations") tally.unreadable += result.problems?.filter((p) => p.skipped).length ?? 0;
        if (result.vanish?.refused === true) await reportRefusal(deps, passInfo, events, tally.seen, result.vanish.active, vanishShare());
        if (isLast) return done?.completion ?? null;
        if (controller.signal.aborted) throw controller.signal.reason;
      }
      if (!step.closes({ rows: [], after: null })) return null;
      // A feed that ended without a closing page still completes the pass.
      const done = complete(step.removalsRan);
      const result = await store.commitPage({
        owner,
        now: clock.now(),
        runId: passInfo.runId,
        provider: plan.provider,
        eventIds,
        finish: done.finish,
      });
      add(tally.totals, result);
      return done.completion;
    };

    // Without the removal feed, an empty last page with nothing inserted before closes the pass
    // in its own transaction (the common race-morning pass); any other ending decides below.
    const closedEarly = await feed(
      "registrations",
      adapter.fetchRegistrations(conn, { ...base, modifiedSince: window.modifiedSince, after: window.resumeAfter }, ctx),
      {
        // A whole pull shows removals itself: it closes with its last page unless the removal
        // feed is due or may be read for the reason of one (room to spare); an incremental pull
        // only when nothing was inserted (see below).
        closes: (last) =>
          !window.removalsDue && (window.vanishing ? window.reasons === null : tally.totals.inserted === 0 && last.rows.length === 0),
        removalsRan: window.removalsDue,
        rows: (page) => {
          if (window.vanishing) for (const row of page.rows) tally.seen.push(row.registrationId);
          tally.unreadable += page.skipped?.length ?? 0;
          // The connection's raw policy applies before anything reaches the store.
          return { registrations: applyRawPolicy(page.rows, conn.raw), skipped: page.skipped };
        },
      },
    );
    // An incremental pass that inserted registrations reads the removal feed too, whatever its
    // cadence: a transfer appears as a new registration before the old one's removal, and until
    // the removal feed runs both would stand as active. (A whole pull marks the old one vanished.)
    // A full pull reads the removal feed only where it has something to explain (refunded,
    // transferred and to whom): a call spent where there is news.
    const removalsRan =
      window.removalsDue ||
      (window.vanishing
        ? closedEarly === null && window.reasons !== null && (await reasonsWanted(deps, plan, tally.seen, window.reasons))
        : tally.totals.inserted > 0);
    const completion =
      closedEarly ??
      (removalsRan
        ? await feed("removals", adapter.fetchRemovals(conn, { ...base, modifiedSince: window.removalsSince }, ctx), {
            closes: () => true,
            removalsRan,
            rows: (page) => ({ removals: applyRawPolicy(page.rows, conn.raw), skipped: page.skipped }),
          })
        : await feed("registrations", emptyFeed(), { closes: () => true, removalsRan, rows: () => ({}) }));
    if (completion === null) throw new Error("[core] a pass's closing feed ended without completing it"); // closes() is always true there
    committed = true;
    hold.release();
    for (const state of completion.states) if (state.nextDueAt != null) deps.onNextDue?.(state.nextDueAt);
    safeEmit(emitter, "sync:finish", {
      ...passInfo,
      apiCalls: counter.calls(),
      ...tally.totals,
      durationMs: clock.now().getTime() - signpost.getTime(),
      cursorAt: completion.cursorAt,
    });
    return result(plan, conn.id, runId, true, counter.calls(), tally.totals, null);
  } catch (error) {
    const failure = await recordFailure(deps, plan, runId, info, error, counter.calls(), controller);
    return result(plan, conn.id, runId, false, counter.calls(), tally.totals, failure);
  } finally {
    hold.release();
    deps.signal.removeEventListener("abort", onOuterAbort);
  }
}

/** What the pass reads: its cursors, where a backfill resumes, whether removals and vanishing apply. */
function passWindow(plan: PassPlan, signpost: Date, schedule: ResolvedSchedule): PassWindow {
  const events = plan.events;
  const backfill = plan.kind === "backfill";
  const resumeAfter = backfill ? (events[0]?.state.backfillAfter ?? undefined) : undefined;
  const vanishing = plan.kind === "reconcile" || (backfill && resumeAfter === undefined);
  const cadenceDue = events.some((e) => removalsDue(e.state, signpost));
  const room = plan.budgetRoom === true;
  return {
    resumeAfter,
    firstAttempt: backfill ? oldest(events.map((e) => e.state.cursorAt)) : null,
    modifiedSince:
      plan.kind === "incremental"
        ? modifiedSinceFor(
            events.map((e) => e.state.cursorAt),
            schedule.overlapMs,
          )
        : undefined,
    removalsSince: backfill
      ? undefined
      : modifiedSinceFor(
          events.map((e) => e.state.removalsCursorAt),
          schedule.overlapMs,
        ),
    removalsDue: backfill || plan.alwaysRemovals === true || (!vanishing && (cadenceDue || room)),
    reasons: vanishing && !backfill && (cadenceDue || room) ? { room, cadenceDue } : null,
    vanishing,
  };
}

/**
 * The signpost in the provider's time: moved back by the largest skew known before or measured
 * during the pass (`observe` hears each response's server time), so the cursor is never later
 * than the provider's clock was at the signpost.
 */
function signpostInProviderTime(
  signpost: Date,
  clock: ProviderClock | undefined,
): { at: () => Date; observe: ((serverTime: Date) => void) | undefined } {
  let correctionMs = clock?.correctionMs() ?? 0;
  return {
    at: () => new Date(signpost.getTime() - correctionMs),
    observe:
      clock === undefined
        ? undefined
        : (serverTime) => {
            clock.observe(serverTime);
            correctionMs = Math.max(correctionMs, clock.correctionMs());
          },
  };
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
  const error =
    controller.signal.aborted && !(rawError instanceof LeaseLostError) && isInterruption(controller.signal.reason)
      ? controller.signal.reason
      : rawError;
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
    await store
      .releaseLeases({ owner, now, refs: plan.events.map((e) => ({ provider: e.provider, eventId: e.eventId })) })
      .catch(() => undefined);
  }
  if (error instanceof LeaseLostError && !controller.signal.aborted) {
    safeEmit(emitter, "lease:lost", { owner, events: error.events.map((e) => ({ provider: e.provider, eventId: e.eventId })) });
  }
  const passInfo = info ?? {
    runId: runId ?? "",
    connectionId: conn.id,
    provider: plan.provider,
    raceId: plan.raceId,
    eventIds,
    kind: plan.kind,
  };
  safeEmit(emitter, "sync:error", { ...passInfo, error: serialized, failures, retryAt });
  return serialized;
}

async function reportRefusal(
  deps: PassDeps,
  info: PassInfo,
  events: readonly StoredEvent[],
  seen: readonly string[],
  active: number,
  maxShare: number,
): Promise<void> {
  let wouldVanish: number;
  try {
    wouldVanish = await missingFromPull(deps, { provider: info.provider, events }, seen);
  } catch {
    wouldVanish = Math.ceil(active * deps.options.schedule.maxVanishShare);
  }
  safeEmit(deps.emitter, "reconcile:refused", { ...info, wouldVanish, active, maxShare });
}

/** How urgent the pass's requests are when they queue for the budget: its most urgent event now. */
function passPriority(plan: PassPlan, at: Date, schedule: ResolvedSchedule): number {
  return Math.min(...plan.events.map((e) => currentPriority(e, e.state.backfilledAt !== null, at, schedule)));
}

/**
 * Whether a full pull reads the removal feed: for registrations it is about to mark vanished
 * (with room to spare or the feed due), or for ones marked vanished since the feed last ran (the
 * feed due): a registration the feed did not explain by then was deleted, not refunded.
 */
async function reasonsWanted(
  deps: PassDeps,
  plan: PassPlan,
  seen: readonly string[],
  reasons: { readonly room: boolean; readonly cadenceDue: boolean },
): Promise<boolean> {
  const seenSet = new Set(seen);
  const lastRead = Math.min(...plan.events.map((e) => e.state.removalsCursorAt?.getTime() ?? 0));
  const stored = await deps.options.store.listRegistrations({ provider: plan.provider, eventIds: plan.events.map((e) => e.eventId) });
  const missing = stored.some((r) => r.status === "active" && !seenSet.has(r.registrationId));
  const unexplained = stored.some((r) => r.status === "vanished" && r.updatedAt.getTime() > lastRead);
  return missing || (reasons.cadenceDue && unexplained);
}

/** Active registrations of the pass's events that a full pull did not see: what it would mark vanished. */
async function missingFromPull(deps: PassDeps, plan: Pick<PassPlan, "provider" | "events">, seen: readonly string[]): Promise<number> {
  const seenSet = new Set(seen);
  const stored = await deps.options.store.listRegistrations({ provider: plan.provider, eventIds: plan.events.map((e) => e.eventId) });
  return stored.filter((r) => r.status === "active" && !seenSet.has(r.registrationId)).length;
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
  safeEmit(deps.emitter, "sync:invalid", {
    ...info,
    feed,
    count: problems.length,
    skipped,
    problems: problems.slice(0, PROBLEM_SAMPLE_SIZE),
  });
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

function result(
  plan: PassPlan,
  connectionId: string,
  runId: string | null,
  ok: boolean,
  apiCalls: number,
  totals: Totals,
  error: PassResult["error"],
): PassResult {
  return {
    runId,
    connectionId,
    provider: plan.provider,
    raceId: plan.raceId,
    eventIds: plan.events.map((e) => e.eventId),
    kind: plan.kind,
    ok,
    apiCalls,
    ...totals,
    error,
  };
}

/** The result of a pass that never started (refused or claimed elsewhere): nothing was called or written. */
export function notRunResult(
  pass: { readonly provider: string; readonly raceId: string; readonly eventIds: readonly string[]; readonly full: boolean },
  error: SerializedError,
): PassResult {
  const { provider, raceId, eventIds, full } = pass;
  const kind = full ? "reconcile" : "incremental";
  return {
    runId: null,
    connectionId: null,
    provider,
    raceId,
    eventIds,
    kind,
    ok: false,
    apiCalls: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    removed: 0,
    vanished: 0,
    problems: 0,
    error,
  };
}
