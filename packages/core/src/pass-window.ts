import type { StoredEvent } from "./store.js";
import { modifiedSinceFor } from "./cursor.js";
import type { ProviderClock } from "./clock-skew.js";
import type { ResolvedSchedule } from "./options.js";
import type { PassDeps, PassPlan } from "./pass.js";
import { removalsDue } from "./policy.js";

/** What a pass reads and decides before and between its feeds: its window, its signpost in the provider's time, whether the removal feed has something to explain. */

/** What a pass reads, fixed at its signpost before its first request. */
export interface PassWindow {
  /** Backfill: the keyset position a crashed backfill resumes after. */
  readonly resumeAfter: string | undefined;
  /** Backfill: the first attempt's signpost, when an earlier attempt recorded one. */
  readonly firstAttempt: Date | null;
  readonly modifiedSince: Date | undefined;
  readonly removalsSince: Date | undefined;
  /** The removal feed is due whatever the registrations feed brings. */
  readonly removalsDue: boolean;
  /**
   * Between the feed's cadence reads (with room), a full pull (not a backfill) reads the removal
   * feed for the reasons of registrations it finds missing (with room), and at the reasons'
   * cadence `removalReasonsEveryMs` whatever it finds: null when neither can apply.
   */
  readonly reasons: { readonly cadenceDue: boolean } | null;
  /** A full pull: registrations of the events it does not see vanish. */
  readonly vanishing: boolean;
}

/** What the pass reads: its cursors, where a backfill resumes, whether removals and vanishing apply. */
export function passWindow(plan: PassPlan, signpost: Date, schedule: ResolvedSchedule): PassWindow {
  const events = plan.events;
  const backfill = plan.kind === "backfill";
  const resumeAfter = backfill ? (events[0]?.state.backfillAfter ?? undefined) : undefined;
  const vanishing = plan.kind === "reconcile" || (backfill && resumeAfter === undefined);
  const cadenceDue = events.some((e) => removalsDue(e.state, signpost));
  const room = plan.budgetRoom === true;
  // A full pull sees removals itself; the feed only names their reasons, at its own cadence.
  const reasonsDue = events.some((e) => reasonsCadenceDue(e.state, signpost, schedule));
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
    // A full pull with room to spare reads it at its cadence too: a registration made and removed
    // between two pulls is in no pull, only in the feed.
    removalsDue: backfill || plan.alwaysRemovals === true || (!vanishing && (cadenceDue || room)) || (vanishing && room && cadenceDue),
    reasons: vanishing && !backfill && (reasonsDue || room) ? { cadenceDue: reasonsDue } : null,
    vanishing,
  };
}

/**
 * The signpost in the provider's time: moved back by the largest skew known before or measured
 * during the pass (`observe` hears each response's server time), so the cursor is never later
 * than the provider's clock was at the signpost.
 */
export function signpostInProviderTime(
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

/**
 * Whether a full pull reads the removal feed: for registrations it is about to mark vanished
 * (with room to spare or the reasons' cadence due), and always at the reasons' cadence: for ones
 * marked vanished since the feed last ran, and for registrations made and removed between two
 * pulls, which no pull sees (while the budget binds the feed's own cadence does not run for a
 * race read whole, so this is where they are recorded).
 */
export async function reasonsWanted(
  deps: PassDeps,
  plan: PassPlan,
  seen: readonly string[],
  reasons: { readonly cadenceDue: boolean },
): Promise<boolean> {
  if (reasons.cadenceDue) return true;
  return (await missingFromPull(deps, plan, seen)) > 0;
}

/** Active registrations of the pass's events that a full pull did not see: what it would mark vanished. */
export async function missingFromPull(
  deps: PassDeps,
  plan: Pick<PassPlan, "provider" | "events">,
  seen: readonly string[],
): Promise<number> {
  const seenSet = new Set(seen);
  const stored = await deps.options.store.listRegistrations({ provider: plan.provider, eventIds: plan.events.map((e) => e.eventId) });
  return stored.filter((r) => r.status === "active" && !seenSet.has(r.registrationId)).length;
}

/**
 * Whether a full pull's reasons are due by cadence: the feed's own cadence is due and it last ran
 * at least `removalReasonsEveryMs` ago (or never, or with every pass near the start).
 */
function reasonsCadenceDue(state: StoredEvent["state"], signpost: Date, schedule: ResolvedSchedule): boolean {
  if (!removalsDue(state, signpost)) return false;
  const last = state.removalsCursorAt;
  return state.removalsDueAt === null || last === null || signpost.getTime() - last.getTime() >= schedule.removalReasonsEveryMs;
}

function oldest(dates: readonly (Date | null)[]): Date | null {
  let best: Date | null = null;
  for (const d of dates) if (d !== null && (best === null || d.getTime() < best.getTime())) best = d;
  return best;
}
