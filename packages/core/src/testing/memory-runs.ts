import { StoreError } from "../errors.js";
import type { CommitPageArgs, FailRunArgs, PageWriteResult, RowProblem, SyncRun, SyncStore } from "../store.js";
import { PROBLEM_SAMPLE_SIZE } from "../rows.js";
import {
  applyPatch,
  copy,
  isLeased,
  key,
  registrationsOf,
  type MemoryState,
  type MutableRegistration,
  type MutableRun,
} from "./memory-state.js";

/** `SyncStore.startRun`: a running run with the next id of this store's sequence. */
export function startRun(state: MemoryState, prefix: string, args: Parameters<SyncStore["startRun"]>[0]): string {
  state.seq++;
  const id = `${prefix}-${state.seq}`;
  state.runs.set(id, {
    id,
    connectionId: args.connectionId,
    provider: args.provider,
    raceId: args.raceId,
    eventIds: [...args.eventIds],
    kind: args.kind,
    startedAt: new Date(args.now),
    finishedAt: null,
    status: "running",
    apiCalls: 0,
    rowsInserted: 0,
    rowsUpdated: 0,
    rowsUnchanged: 0,
    rowsRemoved: 0,
    error: null,
    problems: 0,
    problemSample: [],
    seq: state.seq,
    owner: args.owner,
  });
  return id;
}

/** The run named by `runId`; a `StoreError` when it is unknown. */
export function runOf(state: MemoryState, runId: string): MutableRun {
  const run = state.runs.get(runId);
  if (run === undefined) throw new StoreError(`[memory-store] run ${runId} is unknown`, { retryable: false });
  return run;
}

/**
 * Marks vanished the active registrations of the events that the full pull did not see, unless
 * more than `maxShare` of them would go (a truncated pull must not wipe an event).
 */
function vanish(state: MemoryState, args: CommitPageArgs): PageWriteResult["vanish"] {
  const rule = args.finish?.vanish;
  if (rule === undefined) return undefined;
  const seen = new Set(rule.seenRegistrationIds);
  const active: MutableRegistration[] = [];
  for (const eventId of new Set(args.eventIds)) {
    for (const reg of registrationsOf(state, key(args.provider, eventId))) if (reg.status === "active") active.push(reg);
  }
  const missing = active.filter((reg) => !seen.has(reg.registrationId));
  if (active.length > 0 && missing.length / active.length > rule.maxShare) {
    return { vanished: 0, active: active.length, refused: true };
  }
  for (const reg of missing) {
    reg.status = "vanished";
    reg.updatedAt = new Date(args.now);
  }
  return { vanished: missing.length, active: active.length, refused: false };
}

/**
 * Adds a page's counts to its run and, on the last page, completes the pass: reconciliation
 * (vanish), the engine's state patches, success bookkeeping and lease release. Called by
 * `commitPage` after everything was validated.
 */
export function finishPass(
  state: MemoryState,
  run: MutableRun,
  args: CommitPageArgs,
  counts: { inserted: number; updated: number; unchanged: number; removed: number; problems: readonly RowProblem[] },
): PageWriteResult["vanish"] {
  run.rowsInserted += counts.inserted;
  run.rowsUpdated += counts.updated;
  run.rowsUnchanged += counts.unchanged;
  run.rowsRemoved += counts.removed;
  run.problems += counts.problems.length;
  if (run.problemSample.length < PROBLEM_SAMPLE_SIZE) {
    run.problemSample = [...run.problemSample, ...copy(counts.problems.slice(0, PROBLEM_SAMPLE_SIZE - run.problemSample.length))];
  }
  const finish = args.finish;
  if (finish === undefined) return undefined;
  const result = vanish(state, args);
  for (const patch of finish.states) {
    const sync = state.states.get(key(args.provider, patch.eventId));
    if (sync !== undefined) applyPatch(sync, patch);
  }
  for (const eventId of args.eventIds) {
    const sync = state.states.get(key(args.provider, eventId));
    if (sync === undefined) continue;
    sync.lastError = null;
    sync.failures = 0;
    sync.lastSuccessAt = new Date(args.now);
    sync.leaseOwner = null;
    sync.leaseExpiresAt = null;
  }
  run.status = "succeeded";
  run.finishedAt = new Date(args.now);
  run.apiCalls = finish.apiCalls;
  return result;
}

/**
 * `SyncStore.failRun`: the run is recorded as failed; backoff patches go only to events no other
 * owner has leased since (a late failure must not clobber the new owner's schedule).
 */
export function failRun(state: MemoryState, args: FailRunArgs): void {
  const run = runOf(state, args.runId);
  for (const patch of args.states) {
    const sync = state.states.get(key(args.provider, patch.eventId));
    if (sync === undefined) throw new StoreError(`[memory-store] ${args.provider} event ${patch.eventId} is unknown`, { retryable: false });
  }
  for (const patch of args.states) {
    const sync = state.states.get(key(args.provider, patch.eventId));
    if (sync !== undefined && (!isLeased(sync, args.now) || sync.leaseOwner === args.owner)) applyPatch(sync, patch);
  }
  for (const eventId of args.eventIds) {
    const sync = state.states.get(key(args.provider, eventId));
    if (sync !== undefined && sync.leaseOwner === args.owner) {
      sync.leaseOwner = null;
      sync.leaseExpiresAt = null;
    }
  }
  run.status = "failed";
  run.finishedAt = new Date(args.now);
  run.apiCalls = args.apiCalls;
  run.error = copy(args.error);
}

/** `SyncStore.listRuns`: newest first. */
export function listRuns(state: MemoryState, args?: Parameters<SyncStore["listRuns"]>[0]): SyncRun[] {
  const runs = [...state.runs.values()]
    .filter((run) => args?.eventId === undefined || run.eventIds.includes(args.eventId))
    .filter((run) => args?.status === undefined || run.status === args.status)
    .filter((run) => args?.withProblems !== true || run.problems > 0)
    .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || b.seq - a.seq);
  const limited = args?.limit === undefined ? runs : runs.slice(0, Math.max(0, args.limit));
  return limited.map(({ seq: _seq, owner: _owner, ...run }) => copy(run));
}
