import { LeaseLostError, StoreError } from "../errors.js";
import { withoutPersonalFields } from "../privacy.js";
import type { CommitPageArgs, ForgottenReturn, PageWriteResult, StoredFieldProblem, StoredRegistration, SyncStore } from "../store.js";
import type { FieldProblem, Registration } from "../types.js";
import {
  compareIds,
  copy,
  holdsLease,
  key,
  putRegistration,
  registrationsOf,
  tombstone,
  type MemoryState,
  type MutableRegistration,
  type MutableRun,
} from "./memory-state.js";
import { checkPage, withoutUnknownEvents, type CheckedPage } from "../rows.js";
import { registrationColumnsOf } from "../registration-columns.js";
import { returnedRows } from "./memory-privacy.js";
import { deepEqual } from "./row-validation.js";
import { finishPass, runOf } from "./memory-runs.js";

/**
 * The fields compared by value (the key's own fields are equal by lookup; instants and raw are
 * compared below by what they mean).
 */
const COLUMNS = registrationColumnsOf("key", "text", "date", "integer").map((c) => c.field);

function sameInstant(a: Date | null, b: Date | null): boolean {
  return a === null || b === null ? a === b : a.getTime() === b.getTime();
}

/** True when storing `row` would change a column of `stored` (status included). */
function differs(stored: MutableRegistration, row: Registration): boolean {
  if (stored.status !== "active" || stored.removedReason !== null || stored.newRegistrationId !== null) return true;
  for (const column of COLUMNS) if (stored[column] !== row[column]) return true;
  if (!sameInstant(stored.registeredAt, row.registeredAt) || !sameInstant(stored.modifiedAt, row.modifiedAt)) return true;
  return !deepEqual(stored.raw, row.raw);
}

/**
 * Everything that can refuse a commit, checked before anything is written: the run, the leases
 * and every state patch. Rows never refuse a commit: they are checked with core's `checkPage`
 * (bad fields null, unstorable rows skipped), as PostgreSQL's store does. After this returns,
 * applying cannot fail.
 */
function validateCommit(state: MemoryState, args: CommitPageArgs): { run: MutableRun; page: CheckedPage } {
  const run = runOf(state, args.runId);
  // The lease first: a run another process closed as abandoned lost its lease, and the caller
  // must hear that (LeaseLostError), not only that its run is closed.
  const lost = args.eventIds.filter((eventId) => {
    const sync = state.states.get(key(args.provider, eventId));
    return sync === undefined || !holdsLease(sync, args.owner, args.now);
  });
  if (lost.length > 0) {
    throw new LeaseLostError(
      `[memory-store] ${args.owner} no longer holds the lease on ${args.provider} event(s) ${lost.join(", ")}`,
      lost.map((eventId) => ({ provider: args.provider, eventId })),
    );
  }
  if (run.status !== "running") {
    throw new StoreError(`[memory-store] run ${args.runId} is ${run.status}; it takes no more pages`, { retryable: false });
  }
  const page = withoutUnknownEvents(checkPage(args), (eventId) => state.events.has(key(args.provider, eventId)));
  for (const patch of args.finish?.states ?? []) {
    if (!args.eventIds.includes(patch.eventId)) {
      throw new StoreError(`[memory-store] state patch for event ${patch.eventId} is not part of run ${args.runId}`, { retryable: false });
    }
  }
  const share = args.finish?.vanish?.maxShare;
  if (share !== undefined && !(share >= 0 && share <= 1)) {
    throw new StoreError(`[memory-store] vanish.maxShare ${share} is not within 0..1`, { retryable: false });
  }
  return { run, page };
}

/** A written row's problems, each keeping the first-seen time it had on the stored row. */
function storedProblems(
  problems: readonly FieldProblem[] | undefined,
  previous: readonly StoredFieldProblem[],
  now: Date,
): StoredFieldProblem[] {
  return (problems ?? []).map((p) => ({
    field: p.field,
    reason: p.reason,
    firstSeenAt: new Date(previous.find((q) => q.field === p.field)?.firstSeenAt ?? now),
  }));
}

function upsertRegistrations(
  state: MemoryState,
  rows: readonly Registration[],
  now: Date,
  result: { inserted: number; updated: number; unchanged: number },
  written: Registration[],
): void {
  for (const row of rows) {
    const stored = state.registrations.get(key(row.provider, row.registrationId));
    if (stored === undefined) {
      putRegistration(state, {
        ...copy(row),
        problems: storedProblems(row.problems, [], now),
        status: "active",
        removedReason: null,
        newRegistrationId: null,
        firstSeenAt: new Date(now),
        updatedAt: new Date(now),
      });
      result.inserted++;
      written.push(row);
      continue;
    }
    const older = row.modifiedAt !== null && stored.modifiedAt !== null && row.modifiedAt.getTime() < stored.modifiedAt.getTime();
    if (older || !differs(stored, row)) {
      result.unchanged++;
      continue;
    }
    const next: MutableRegistration = {
      ...copy(row),
      problems: storedProblems(row.problems, stored.problems, now),
      status: "active",
      removedReason: null,
      newRegistrationId: null,
      firstSeenAt: stored.firstSeenAt,
      updatedAt: new Date(now),
    };
    putRegistration(state, next);
    // The row holds what the provider sent again: retention may anonymise it anew.
    state.anonymised.delete(key(row.provider, row.registrationId));
    result.updated++;
    written.push(row);
  }
}

function applyRemovals(state: MemoryState, args: CommitPageArgs, page: CheckedPage, returned: ForgottenReturn[]): number {
  let removed = 0;
  for (const row of page.removals) {
    const stored = state.registrations.get(key(row.provider, row.registrationId));
    if (stored === undefined) {
      // A forgotten registration first seen through the removal feed: its raw row is stored.
      if (state.forgotten.has(tombstone(row.provider, "registration", row.registrationId)))
        returned.push({ registrationId: row.registrationId, userId: null });
      // Keep what the provider sent even about a registration we never saw as active.
      putRegistration(state, {
        provider: row.provider,
        registrationId: row.registrationId,
        raceId: row.raceId,
        eventId: row.eventId,
        ...withoutPersonalFields(),
        registeredAt: null,
        modifiedAt: row.modifiedAt === null ? null : new Date(row.modifiedAt),
        raw: copy(row.raw),
        problems: storedProblems(row.problems, [], args.now),
        status: row.reason,
        removedReason: row.reason,
        newRegistrationId: row.newRegistrationId,
        firstSeenAt: new Date(args.now),
        updatedAt: new Date(args.now),
      });
      removed++;
      continue;
    }
    if (stored.status === row.reason && stored.removedReason === row.reason && stored.newRegistrationId === row.newRegistrationId) continue;
    stored.status = row.reason;
    stored.removedReason = row.reason;
    stored.newRegistrationId = row.newRegistrationId;
    stored.updatedAt = new Date(args.now);
    removed++;
  }
  return removed;
}

/** `SyncStore.commitPage` on the memory state: validate everything, then apply everything. */
export function commitPage(state: MemoryState, args: CommitPageArgs): PageWriteResult {
  const { run, page } = validateCommit(state, args);
  const counts = { inserted: 0, updated: 0, unchanged: 0 };
  const written: Registration[] = [];
  upsertRegistrations(state, page.registrations, args.now, counts, written);
  const returned = returnedRows(state, written);
  const removed = applyRemovals(state, args, page, returned);
  for (const eventId of args.eventIds) {
    const sync = state.states.get(key(args.provider, eventId));
    if (sync !== undefined && args.backfillAfter !== undefined) sync.backfillAfter = args.backfillAfter;
  }
  const result: PageWriteResult =
    returned.length > 0 ? { ...counts, removed, problems: page.problems, returned } : { ...counts, removed, problems: page.problems };
  const vanish = finishPass(state, run, args, { ...counts, removed, problems: page.problems });
  return vanish === undefined ? result : { ...result, vanish };
}

/** `SyncStore.listRegistrations`, ordered by registration id. */
export function listRegistrations(state: MemoryState, args: Parameters<SyncStore["listRegistrations"]>[0]): StoredRegistration[] {
  const out: StoredRegistration[] = [];
  // With event ids, through the per-event index rather than every registration of every event.
  const rows =
    args.eventIds === undefined
      ? state.registrations.values()
      : [...new Set(args.eventIds)].flatMap((eventId) => registrationsOf(state, key(args.provider, eventId)));
  for (const reg of rows) {
    if (reg.provider !== args.provider) continue;
    if (args.eventIds !== undefined && !args.eventIds.includes(reg.eventId)) continue;
    if (args.raceId !== undefined && reg.raceId !== args.raceId) continue;
    out.push(copy(reg));
  }
  return out.sort((a, b) => compareIds(a.registrationId, b.registrationId));
}
