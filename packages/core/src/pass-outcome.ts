import type { PassResult } from "./engine-types.js";
import { ForbiddenError, LeaseLostError } from "./errors.js";
import { safeEmit } from "./emitter.js";
import type { PassInfo } from "./events.js";
import { recordForbidden } from "./forbidden.js";
import { failureStates, isInterruption, pauseFor, serializeError, throttledPayload } from "./pass-failure.js";
import { missingFromPull } from "./pass-window.js";
import type { PassDeps, PassPlan } from "./pass.js";
import { PROBLEM_SAMPLE_SIZE } from "./rows.js";
import type { PageWriteResult, SerializedError, StoredEvent } from "./store.js";

/** What a pass reports: its result, its failure recorded, refusals and data problems told. */

export interface Totals {
  inserted: number;
  updated: number;
  unchanged: number;
  removed: number;
  vanished: number;
  /** Problems with provider data the committed pages had (see `sync:invalid`). */
  problems: number;
}

export async function recordFailure(
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

export async function reportRefusal(
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

/** Emits `sync:invalid` for a page whose provider data had problems (the page committed anyway). */
export function reportProblems(
  deps: PassDeps,
  info: PassInfo,
  feed: "registrations" | "removals",
  problems: PageWriteResult["problems"],
): void {
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

export function pick(r: { inserted: number; updated: number; unchanged: number; removed: number }) {
  return { inserted: r.inserted, updated: r.updated, unchanged: r.unchanged, removed: r.removed };
}

export function add(totals: Totals, r: PageWriteResult): void {
  totals.inserted += r.inserted;
  totals.updated += r.updated;
  totals.unchanged += r.unchanged;
  totals.removed += r.removed;
  totals.vanished += r.vanish?.vanished ?? 0;
  totals.problems += r.problems?.length ?? 0;
}

export function result(
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
