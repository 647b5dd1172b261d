import { PERSONAL_FIELDS } from "../privacy.js";
import type { AnonymiseArgs, ForgetArgs, ForgottenReturn } from "../store.js";
import type { Registration } from "../types.js";
import { compareIds, key, tombstone, type MemoryState, type MutableRegistration } from "./memory-state.js";
import { StoreError } from "../errors.js";

function clear(reg: MutableRegistration, now: Date): void {
  const target = reg as Record<string, unknown>;
  for (const field of PERSONAL_FIELDS) target[field] = null;
  reg.raw = null;
  // A problem's reason quotes the bad value (a malformed date of birth, an email).
  reg.problems = [];
  reg.updatedAt = new Date(now);
}

/** `SyncStore.anonymiseEnded` on the memory state, in registration-id order per event. */
export function anonymiseEnded(state: MemoryState, args: AnonymiseArgs): { anonymised: number } {
  if (!Number.isInteger(args.limit) || args.limit <= 0)
    throw new StoreError(`[memory-store] anonymiseEnded: limit must be a positive integer, got ${args.limit}`, { retryable: false });
  const cutoff = args.endedBefore.getTime();
  let anonymised = 0;
  const regs = [...state.registrations.entries()].sort(([, a], [, b]) => compareIds(a.registrationId, b.registrationId));
  for (const [regKey, reg] of regs) {
    if (anonymised >= args.limit) break;
    if (state.anonymised.has(regKey)) continue;
    const event = state.events.get(key(reg.provider, reg.eventId));
    if (event === undefined) continue;
    const endedAt = (event.endsAt ?? event.startsAt).getTime();
    if (endedAt >= cutoff) continue;
    clear(reg, args.now);
    state.anonymised.add(regKey);
    anonymised++;
  }
  return { anonymised };
}

/** `SyncStore.forget` on the memory state (it keeps no status history to delete). */
export function forget(state: MemoryState, args: ForgetArgs): { registrations: number } {
  const byRegistration = args.registrationId !== undefined;
  if (byRegistration === (args.userId !== undefined)) {
    throw new StoreError("[memory-store] forget: give exactly one of registrationId and userId", { retryable: false });
  }
  const now = new Date(args.now);
  const matches: [string, MutableRegistration][] = [];
  for (const [regKey, reg] of state.registrations) {
    if (reg.provider !== args.provider) continue;
    if (byRegistration ? reg.registrationId === args.registrationId : reg.userId === args.userId) matches.push([regKey, reg]);
  }
  if (args.userId !== undefined) state.forgotten.set(tombstone(args.provider, "user", args.userId), now);
  if (args.registrationId !== undefined) state.forgotten.set(tombstone(args.provider, "registration", args.registrationId), now);
  for (const [regKey, reg] of matches) {
    state.forgotten.set(tombstone(args.provider, "registration", reg.registrationId), now);
    clear(reg, now);
    state.anonymised.add(regKey);
  }
  // The runs' problem samples name the registration and may quote its bad values.
  const ids = new Set(matches.map(([, reg]) => reg.registrationId));
  if (args.registrationId !== undefined) ids.add(args.registrationId);
  for (const run of state.runs.values()) {
    if (run.provider !== args.provider) continue;
    run.problemSample = run.problemSample.filter((p) => p.registrationId === null || !ids.has(p.registrationId));
  }
  return { registrations: matches.length };
}

/** The written rows that belong to a forgotten registration or user. */
export function returnedRows(state: MemoryState, written: readonly Registration[]): ForgottenReturn[] {
  if (state.forgotten.size === 0) return [];
  return written
    .filter(
      (r) =>
        state.forgotten.has(tombstone(r.provider, "registration", r.registrationId)) ||
        (r.userId !== null && state.forgotten.has(tombstone(r.provider, "user", r.userId))),
    )
    .map((r) => ({ registrationId: r.registrationId, userId: r.userId }));
}
