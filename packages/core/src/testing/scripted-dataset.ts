import { ConfigError } from "../errors.js";
import type { Race, Registration, Removal, RemovalReason, SyncEvent } from "../types.js";
import { compareIds } from "./memory-state.js";

/** A race of the scripted provider, optionally visible to some connections only. */
export interface ScriptedRace extends Race {
  /** Connection ids that may see the race; absent means every connection. */
  readonly visibleTo?: readonly string[] | undefined;
}

/** What a scripted provider starts with. */
export interface ScriptedDatasetInput {
  readonly races?: readonly ScriptedRace[];
  readonly registrations?: readonly Registration[];
  readonly removals?: readonly Removal[];
}

/**
 * The provider's side of the world, mutable by tests between and during passes. Rows are kept
 * by registration id; a removal takes a registration out of the registrations feed and puts it
 * in the removal feed, as RunSignUp does for refunds and transfers.
 */
export class ScriptedDataset {
  readonly #races = new Map<string, ScriptedRace>();
  readonly #registrations = new Map<string, Registration>();
  readonly #removals = new Map<string, Removal>();
  readonly #unreadable = new Map<string, { readonly field: string; readonly reason: string }>();

  constructor(input: ScriptedDatasetInput = {}) {
    for (const race of input.races ?? []) this.addRace(race);
    for (const row of input.registrations ?? []) this.upsertRegistration(row);
    for (const row of input.removals ?? []) this.#removals.set(row.registrationId, structuredClone(row));
  }

  /** Adds or replaces a race with its events. */
  addRace(race: ScriptedRace): void {
    this.#races.set(race.raceId, structuredClone(race));
  }

  /** Takes a race off the provider (later calls for it fail with `NotFoundError`). */
  removeRace(raceId: string): void {
    this.#races.delete(raceId);
  }

  /** Moves an event's start (and end), as an organiser editing the race would. */
  moveEvent(eventId: string, startsAt: Date, endsAt: Date | null = null): void {
    for (const race of this.#races.values()) {
      const events = race.events.map(
        (e): SyncEvent =>
          e.eventId === eventId ? { ...e, startsAt: new Date(startsAt), endsAt: endsAt === null ? null : new Date(endsAt) } : e,
      );
      if (events.some((e, i) => e !== race.events[i])) {
        this.#races.set(race.raceId, { ...race, events });
        return;
      }
    }
    throw new ConfigError(`[scripted] event ${eventId} is unknown`);
  }

  /** Adds a registration or replaces it whole (its `modifiedAt` is taken as given). */
  upsertRegistration(row: Registration): void {
    this.#removals.delete(row.registrationId);
    this.#registrations.set(row.registrationId, structuredClone(row));
  }

  /** Changes columns of a registration at instant `at` (its new `modifiedAt`). */
  modifyRegistration(registrationId: string, patch: Partial<Omit<Registration, "registrationId" | "provider">>, at: Date): void {
    const row = this.#registrations.get(registrationId);
    if (row === undefined) throw new ConfigError(`[scripted] registration ${registrationId} is unknown`);
    this.#registrations.set(registrationId, { ...row, ...structuredClone(patch), modifiedAt: new Date(at) });
  }

  /** Removes a registration at instant `at`: it leaves the registrations feed and enters the removal feed. */
  removeRegistration(
    registrationId: string,
    options: { readonly reason?: RemovalReason; readonly at: Date; readonly newRegistrationId?: string | null },
  ): void {
    const row = this.#registrations.get(registrationId);
    if (row === undefined) throw new ConfigError(`[scripted] registration ${registrationId} is unknown`);
    this.#registrations.delete(registrationId);
    const reason = options.reason ?? "removed";
    this.#removals.set(registrationId, {
      provider: row.provider,
      registrationId,
      raceId: row.raceId,
      eventId: row.eventId,
      reason,
      newRegistrationId: options.newRegistrationId ?? null,
      modifiedAt: new Date(options.at),
      raw: { registration_id: registrationId, reason, new_registration_id: options.newRegistrationId ?? null },
    });
  }

  /** Deletes a registration without a removal row: what reconciliation calls `vanished`. */
  dropRegistration(registrationId: string): void {
    this.#registrations.delete(registrationId);
  }

  /**
   * Serves this registration (in either feed) as a row the adapter could not read: it leaves the
   * page's `rows` for its `skipped`, with `problem`, and still counts towards a full page.
   */
  makeUnreadable(registrationId: string, problem: { readonly field: string; readonly reason: string }): void {
    this.#unreadable.set(registrationId, { ...problem });
  }

  /** The problem `makeUnreadable` gave this registration, if any. */
  unreadable(registrationId: string): { readonly field: string; readonly reason: string } | undefined {
    return this.#unreadable.get(registrationId);
  }

  /** A race by id, if the provider has it. */
  race(raceId: string): ScriptedRace | undefined {
    const race = this.#races.get(raceId);
    return race === undefined ? undefined : structuredClone(race);
  }

  /** Every race, ordered by id. */
  races(): ScriptedRace[] {
    return [...this.#races.values()].sort((a, b) => compareIds(a.raceId, b.raceId)).map((r) => structuredClone(r));
  }

  /** Registrations of some events, in keyset (registration id) order. */
  registrations(eventIds: readonly string[]): Registration[] {
    return [...this.#registrations.values()]
      .filter((r) => eventIds.includes(r.eventId))
      .sort((a, b) => compareIds(a.registrationId, b.registrationId));
  }

  /** Removal rows of some events, in keyset order. */
  removals(eventIds: readonly string[]): Removal[] {
    return [...this.#removals.values()]
      .filter((r) => eventIds.includes(r.eventId))
      .sort((a, b) => compareIds(a.registrationId, b.registrationId));
  }

  /** Every registration row (any event), in keyset order. */
  allRegistrations(): Registration[] {
    return [...this.#registrations.values()].sort((a, b) => compareIds(a.registrationId, b.registrationId)).map((r) => structuredClone(r));
  }
}
