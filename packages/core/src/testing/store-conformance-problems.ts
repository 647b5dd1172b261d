import { MAX_RAW_DEPTH } from "../raw-json.js";
import type { Registration } from "../types.js";
import { at, makeRace, makeRegistration, makeRemoval, seedRace, startPass, storedById, T0, type StoreTest } from "./store-fixtures.js";

/** A value nested `depth` levels deep: `{ a: { a: … } }`. */
function deep(depth: number): unknown {
  let value: unknown = "bottom";
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

/** How deep a stored value nests. */
function depthOf(value: unknown): number {
  let depth = 0;
  let cur = value;
  while (cur !== null && typeof cur === "object" && "a" in cur) {
    depth++;
    cur = (cur as { a: unknown }).a;
  }
  return depth;
}

/** Bad provider data never fails a page: fields go null with a problem, unstorable rows are skipped. */
export function problemTests(test: StoreTest): void {
  test("a bad field is stored as null with its problem; the rest of the page and its progress commit", async (ctx) => {
    const race = await seedRace(ctx, makeRace(ctx));
    const eventId = race.events[0]?.eventId ?? "";
    const runId = await startPass(ctx, race, "o");
    const ids = ["good-", "dob-", "age-", "nul-", "lone-", "date-"].map((p) => ctx.id(p));
    const [good, dob, age, nul, lone, date] = ids as [string, string, string, string, string, string];
    const rows: Registration[] = [
      makeRegistration(race, eventId, good),
      makeRegistration(race, eventId, dob, { dob: "0000-00-00" }),
      makeRegistration(race, eventId, age, { age: 30.5, problems: [{ field: "bib", reason: "bib_num: not readable" }], bib: null }),
      makeRegistration(race, eventId, nul, {
        firstName: "Ro\u0000bert",
        raw: { registration_id: nul, user: { first_name: "Ro\u0000bert" } },
      }),
      makeRegistration(race, eventId, lone, { lastName: "x\ud800", raw: { name: "x\ud800" } }),
      makeRegistration(race, eventId, date, { registeredAt: new Date(Number.NaN) }),
    ];
    const result = await ctx.store.commitPage({
      owner: "o",
      now: T0,
      runId,
      provider: ctx.provider,
      eventIds: [eventId],
      registrations: rows,
      backfillAfter: date,
      finish: { apiCalls: 1, states: [{ eventId, nextDueAt: at(60_000), backfilledAt: T0, cursorAt: T0 }] },
    });
    ctx.expect(result).toMatchObject({ inserted: 6, updated: 0 });
    ctx.expect((result.problems ?? []).map((p) => [p.registrationId, p.field, p.skipped])).toEqual([
      [dob, "dob", false],
      [age, "bib", false],
      [age, "age", false],
      [nul, "firstName", false],
      [nul, "raw", false],
      [lone, "lastName", false],
      [lone, "raw", false],
      [date, "registeredAt", false],
    ]);
    const stored = await storedById(ctx, race);
    ctx.expect(stored.get(good)?.problems).toEqual([]);
    ctx.expect(stored.get(dob)).toMatchObject({ dob: null, firstName: "Ada", problems: [{ field: "dob", firstSeenAt: T0 }] });
    ctx.expect(stored.get(dob)?.problems[0]?.reason).toContain("0000-00-00");
    ctx.expect(stored.get(age)).toMatchObject({ age: null, bib: null });
    ctx
      .expect(stored.get(nul))
      .toMatchObject({ firstName: null, lastName: "Lovelace", raw: { registration_id: nul, user: { first_name: "Ro\ufffdbert" } } });
    ctx.expect(stored.get(lone)).toMatchObject({ lastName: null, raw: { name: "x\ufffd" } });
    ctx.expect(stored.get(date)).toMatchObject({ registeredAt: null });
    const [event] = await ctx.store.listEvents({ refs: [{ provider: ctx.provider, eventId }] });
    ctx.expect(event?.state).toMatchObject({ nextDueAt: at(60_000), backfilledAt: T0, lastSuccessAt: T0, leaseOwner: null });
    const [run] = await ctx.store.listRuns({ eventId });
    ctx.expect(run).toMatchObject({ status: "succeeded", rowsInserted: 6, problems: 8 });
    ctx.expect(run?.problemSample).toHaveLength(8);
    ctx.expect(run?.problemSample[0]).toMatchObject({ registrationId: dob, field: "dob", skipped: false });
  });

  test("a row that cannot be stored is skipped and counted on the run; the page commits", async (ctx) => {
    const race = await seedRace(ctx, makeRace(ctx));
    const eventId = race.events[0]?.eventId ?? "";
    const runId = await startPass(ctx, race, "o");
    const [a, b, c] = ["a-", "b-", "c-"].map((p) => ctx.id(p)) as [string, string, string];
    const result = await ctx.store.commitPage({
      owner: "o",
      now: T0,
      runId,
      provider: ctx.provider,
      eventIds: [eventId],
      backfillAfter: b,
      registrations: [
        makeRegistration(race, eventId, a),
        makeRegistration(race, eventId, ""),
        makeRegistration(race, eventId, "x\u0000y"),
        makeRegistration(race, "no-such-event", c),
        makeRegistration(race, eventId, b),
      ],
      removals: [{ ...makeRemoval(race, eventId, ctx.id("r-"), "removed"), reason: "lost" as never }],
      skipped: [{ registrationId: null, eventId, field: "registrationId", reason: "registration_id: missing\u0000" }],
    });
    ctx.expect(result).toMatchObject({ inserted: 2, removed: 0 });
    ctx.expect((result.problems ?? []).map((p) => [p.field, p.skipped])).toEqual([
      ["registrationId", true],
      ["registrationId", true],
      ["registrationId", true],
      ["reason", true],
      ["eventId", true],
    ]);
    ctx.expect(result.problems?.[0]?.reason).toBe("registration_id: missing ");
    const stored = await storedById(ctx, race);
    ctx.expect([...stored.keys()].sort()).toEqual([a, b].sort());
    const [event] = await ctx.store.listEvents({ refs: [{ provider: ctx.provider, eventId }] });
    ctx.expect(event?.state.backfillAfter).toBe(b);
    const [run] = await ctx.store.listRuns({ eventId });
    ctx.expect(run).toMatchObject({ status: "running", rowsInserted: 2, problems: 5 });
    const withProblems = await ctx.store.listRuns({ eventId, withProblems: true });
    ctx.expect(withProblems.map((r) => r.id)).toEqual([runId]);
  });

  test("a raw document too deep to serialise is cut and stored, with a problem", async (ctx) => {
    const race = await seedRace(ctx, makeRace(ctx));
    const eventId = race.events[0]?.eventId ?? "";
    const runId = await startPass(ctx, race, "o");
    const id = ctx.id("deep-");
    const result = await ctx.store.commitPage({
      owner: "o",
      now: T0,
      runId,
      provider: ctx.provider,
      eventIds: [eventId],
      registrations: [makeRegistration(race, eventId, id, { raw: { registration_id: id, a: deep(20_000) } })],
    });
    ctx.expect(result).toMatchObject({ inserted: 1 });
    ctx.expect(result.problems?.[0]).toMatchObject({ registrationId: id, field: "raw", skipped: false });
    const stored = (await storedById(ctx, race)).get(id);
    ctx.expect(stored?.firstName).toBe("Ada");
    ctx.expect(depthOf(stored?.raw)).toBe(MAX_RAW_DEPTH);
  });

  test("a problem keeps its first-seen time while it persists and goes when the row is clean", async (ctx) => {
    const race = await seedRace(ctx, makeRace(ctx));
    const eventId = race.events[0]?.eventId ?? "";
    const runId = await startPass(ctx, race, "o");
    const id = ctx.id("p-");
    const write = (row: Registration, now: Date) =>
      ctx.store.commitPage({ owner: "o", now, runId, provider: ctx.provider, eventIds: [eventId], registrations: [row] });
    await write(makeRegistration(race, eventId, id, { dob: "0000-00-00", modifiedAt: at(1) }), T0);
    await write(makeRegistration(race, eventId, id, { dob: "0000-00-00", age: -1, bib: "7", modifiedAt: at(2) }), at(1000));
    let stored = (await storedById(ctx, race)).get(id);
    ctx.expect(stored?.problems.map((p) => [p.field, p.firstSeenAt])).toEqual([
      ["dob", T0],
      ["age", at(1000)],
    ]);
    await write(makeRegistration(race, eventId, id, { modifiedAt: at(3) }), at(2000));
    stored = (await storedById(ctx, race)).get(id);
    ctx.expect(stored).toMatchObject({ dob: "1990-12-10", age: 35, problems: [] });
  });

  test("exact text: ids beyond 2^53, quotes, emoji and SQL-looking names are stored as given", async (ctx) => {
    const race = await seedRace(ctx, makeRace(ctx));
    const eventId = race.events[0]?.eventId ?? "";
    const runId = await startPass(ctx, race, "o");
    const big = `9007199254740993${ctx.id("").replace(/\D/g, "").slice(0, 3)}`;
    const names = { firstName: `O'Brien "Bob" 🏃‍♀️`, lastName: "'); DROP TABLE registrations; --", teamName: "\\x00 $1 %s" };
    const result = await ctx.store.commitPage({
      owner: "o",
      now: T0,
      runId,
      provider: ctx.provider,
      eventIds: [eventId],
      registrations: [makeRegistration(race, eventId, big, { ...names, raw: { registration_id: big, name: names.firstName } })],
    });
    ctx.expect(result).toMatchObject({ inserted: 1, problems: [] });
    const stored = (await storedById(ctx, race)).get(big);
    ctx.expect(stored).toMatchObject({ registrationId: big, ...names, raw: { registration_id: big, name: names.firstName }, problems: [] });
  });
}
