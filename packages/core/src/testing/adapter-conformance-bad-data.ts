// The adapter conformance suite's cases about what a provider refuses or sends broken: a race
// refused to the credentials, a field that cannot be stored, a row that cannot be stored at all.

import { ForbiddenError } from "../errors.js";
import { checkPage } from "../rows.js";
import type { RowProblem } from "../store.js";
import type { Registration, RegistrationPage } from "../types.js";
import { collect, seedOneEvent, type AdapterTest } from "./adapter-fixtures.js";
import { rejectionOf } from "./conformance-api.js";

/** Fields `sendBadField` may not name: a row without them is not a row with a bad field. */
const NOT_A_BAD_FIELD = ["provider", "registrationId", "raceId", "eventId", "raw", "problems"];

/** Registers the cases with `test` (inside the suite's describe block). */
export function badDataTests(test: AdapterTest): void {
  test("a race the provider refuses to these credentials is a ForbiddenError about that race, in both feeds", async ({
    harness,
    ctx,
    expect,
  }) => {
    const seeded = await seedOneEvent(harness, { name: "Refused", count: 2 });
    const race = seeded.races[0];
    const args = { raceId: race?.raceId ?? "", eventIds: [race?.events[0]?.eventId ?? ""] };
    await harness.failRequests("forbidden", 20);
    const { adapter } = harness;
    const pulls = [
      () => collect(adapter.fetchRegistrations(seeded.connection, args, ctx)),
      () => collect(adapter.fetchRemovals(seeded.connection, args, ctx)),
    ];
    for (const pull of pulls) {
      const error = await rejectionOf(pull());
      // Not an AuthError: the key still works for its other races, and the engine syncs this one elsewhere.
      expect(error).toBeInstanceOf(ForbiddenError);
      const forbidden = error as ForbiddenError;
      expect({ code: forbidden.code, retryable: forbidden.retryable }).toEqual({ code: "FORBIDDEN", retryable: false });
      // The race, when the error names one, is the race asked for (the engine falls back to it otherwise).
      expect([null, args.raceId]).toContain(forbidden.raceId);
    }
    await harness.failRequests("forbidden", 0);
    const rows = (await collect(harness.adapter.fetchRegistrations(seeded.connection, args, ctx))).flatMap((p) => p.rows);
    expect(rows.map((r) => r.registrationId).sort()).toEqual([...(race?.events[0]?.registrationIds ?? [])].sort());
  });

  test("a field the adapter cannot read is stored null with its problem recorded, and the rest of the pull as it was", async ({
    harness,
    ctx,
    expect,
  }) => {
    const n = harness.pageSize * 2 + 1;
    const seeded = await seedOneEvent(harness, { name: "Bad field", count: n });
    const race = seeded.races[0];
    const ids = race?.events[0]?.registrationIds ?? [];
    const badId = ids[1] ?? "";
    const field = await harness.sendBadField(badId);
    expect(NOT_A_BAD_FIELD).not.toContain(field);
    const args = { raceId: race?.raceId ?? "", eventIds: [race?.events[0]?.eventId ?? ""] };
    const { stored, problems } = storedView(
      harness.adapter.provider,
      await collect(harness.adapter.fetchRegistrations(seeded.connection, args, ctx)),
    );
    expect(stored.map((r) => r.registrationId).sort()).toEqual([...ids].sort());
    expect(problems.map((p) => ({ registrationId: p.registrationId, field: p.field, skipped: p.skipped }))).toEqual([
      { registrationId: badId, field, skipped: false },
    ]);
    expect(problems[0]?.reason).toMatch(/\S/);
    const bad = stored.find((r) => r.registrationId === badId);
    expect({ field, value: (bad as unknown as Record<string, unknown> | undefined)?.[field] }).toEqual({ field, value: null });
    expect(bad?.problems?.map((p) => p.field)).toEqual([field]);
    expect(bad).toMatchObject({ raceId: args.raceId, eventId: args.eventIds[0] });
    const names: Partial<Registration> = { firstName: "First1", lastName: "Last1" };
    for (const [name, value] of Object.entries(names)) if (name !== field) expect(bad).toMatchObject({ [name]: value });
  });

  test("a row that cannot be stored is skipped and counted once, and paging goes on past it", async ({ harness, ctx, expect }) => {
    const n = harness.pageSize * 2 + 1;
    const seeded = await seedOneEvent(harness, { name: "Bad row", count: n });
    const race = seeded.races[0];
    const ids = race?.events[0]?.registrationIds ?? [];
    // The first row of the first page: an adapter that counted only readable rows towards a full
    // page would take that page for the last one and lose the rest.
    await harness.sendUnreadableRow(ids[0] ?? "");
    const args = { raceId: race?.raceId ?? "", eventIds: [race?.events[0]?.eventId ?? ""] };
    const pages = await collect(harness.adapter.fetchRegistrations(seeded.connection, args, ctx));
    expect(pages[pages.length - 1]?.after).toBeNull();
    const { stored, problems } = storedView(harness.adapter.provider, pages);
    const got = stored.map((r) => r.registrationId);
    expect([...got].sort()).toEqual(ids.slice(1).sort());
    expect(new Set(got).size).toBe(got.length);
    expect(problems.map((p) => p.skipped)).toEqual([true]);
    expect(problems[0]?.field).toMatch(/\S/);
    expect(problems[0]?.reason).toMatch(/\S/);
    expect([null, ids[0]]).toContain(problems[0]?.registrationId);
  });
}

/**
 * The pages as a store keeps them: through core's `checkPage`, as both stores do, so a bad value
 * counts whether the adapter nulled it or passed it on for the check to catch.
 */
function storedView(provider: string, pages: readonly RegistrationPage[]): { stored: Registration[]; problems: RowProblem[] } {
  const checked = pages.map((p) => checkPage({ provider, registrations: p.rows, skipped: p.skipped }));
  return { stored: checked.flatMap((c) => c.registrations), problems: checked.flatMap((c) => c.problems) };
}
