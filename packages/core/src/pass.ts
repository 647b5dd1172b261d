import type { EventEmitter } from "eventemitter3";
import type { CallContext, FetchRegistrationsArgs, ProviderAdapter } from "./adapter.js";
import { countingBudget, type PrioritizedBudget } from "./budget.js";
import type { ProviderClock } from "./clock-skew.js";
import { backfillCursor } from "./cursor.js";
import { safeEmit } from "./emitter.js";
import type { PassResult } from "./engine-types.js";
import { AbortedError, LeaseLostError } from "./errors.js";
import type { EngineEventArgs, PassInfo } from "./events.js";
import type { ResolvedConnection, ResolvedOptions, ResolvedSchedule } from "./options.js";
import { add, pick, recordFailure, reportProblems, reportRefusal, result, type Totals } from "./pass-outcome.js";
import { finishStates } from "./pass-states.js";
import { passWindow, reasonsWanted, signpostInProviderTime } from "./pass-window.js";
import { applyRawPolicy } from "./privacy.js";
import type { LeaseKeeper } from "./lease-keeper.js";
import { eventPriority } from "./policy.js";
import type { CommitPageArgs, PassFinish, StoredEvent } from "./store.js";
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

/** What a pass has seen so far, across its feeds. */
interface Tally {
  readonly totals: Totals;
  /** Registration ids a full pull saw (the rest of the events' active ones vanish). */
  readonly seen: string[];
  /** Rows that could not be read: a full pull that met any vanishes nothing. */
  unreadable: number;
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
        {
          kind: plan.kind,
          signpost,
          cursorAt,
          removalsCursorAt: providerSignpost.at(),
          removalsRan,
          resumed,
          committedAt: clock.now(),
        },
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

/** How urgent the pass's requests are when they queue for the budget: its most urgent event now. */
function passPriority(plan: PassPlan, at: Date, schedule: ResolvedSchedule): number {
  return Math.min(...plan.events.map((e) => eventPriority(e, at, schedule)));
}

/** A feed with no pages: lets a pass whose last page did not close it commit its completion alone. */
async function* emptyFeed(): AsyncIterable<Page<never>> {}
