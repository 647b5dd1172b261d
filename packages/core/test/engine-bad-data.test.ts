import { describe, expect, it } from "vitest";
import { cleanProviderText, ProviderError, type ProviderAdapter, type SkippedRace } from "@project88/core";
import { serializeError } from "../src/pass-failure.js";
import { storableRaw } from "../src/raw-json.js";
import { createScriptedAdapter, generateDataset, ManualClock } from "@project88/core/testing";
import { createHarness, settle } from "./engine-harness.js";

const base = new Date("2026-07-10T14:00:00Z");

describe("bad provider data in the engine", () => {
  it("a page with bad rows commits; the pass reports its problems in the result, sync:invalid, sync:finish, the run and status", async () => {
    const data = generateDataset({ races: 1, base, registrationsPerEvent: 5 });
    const [a, b, c] = data.registrations;
    const registrations = [
      ...data.registrations.slice(3),
      { ...a!, dob: "0000-00-00" },
      { ...b!, age: -4, firstName: "x\u0000" },
      { ...c!, registrationId: "" },
    ];
    const h = createHarness({ start: "2026-07-10T10:00:00Z", dataset: { races: data.races, registrations } });
    const result = await settle(h.clock, h.engine.runOnce());
    const pass = result.passes[0]!;
    expect(pass).toMatchObject({ ok: true, kind: "backfill", inserted: 4, problems: 4 });
    const invalid = h.events("sync:invalid");
    expect(invalid).toHaveLength(1);
    expect(invalid[0]).toMatchObject({ feed: "registrations", count: 4, skipped: 1, runId: pass.runId, raceId: pass.raceId });
    expect(invalid[0]!.problems.map((p) => [p.registrationId, p.field])).toEqual([
      [null, "registrationId"],
      [a!.registrationId, "dob"],
      [b!.registrationId, "firstName"],
      [b!.registrationId, "age"],
    ]);
    expect(h.events("sync:finish")[0]).toMatchObject({ problems: 4, inserted: 4 });
    const stored = await h.store.listRegistrations({ provider: "scripted" });
    expect(stored.find((r) => r.registrationId === a!.registrationId)).toMatchObject({ dob: null, problems: [{ field: "dob" }] });
    const [event] = await h.store.listEvents();
    expect(event?.state).toMatchObject({ failures: 0, lastError: null });
    expect(event?.state.backfilledAt).not.toBeNull();
    const status = await h.engine.status();
    expect(status.problemRuns).toMatchObject([{ runId: pass.runId, problems: 4, kind: "backfill" }]);
    expect(status.problemRuns[0]!.sample).toHaveLength(4);
  });

  it("a clean pass emits no sync:invalid and reports zero problems", async () => {
    const h = createHarness({ start: "2026-07-10T10:00:00Z", dataset: generateDataset({ races: 1, base, registrationsPerEvent: 3 }) });
    const result = await settle(h.clock, h.engine.runOnce());
    expect(result.passes[0]).toMatchObject({ ok: true, problems: 0 });
    expect(h.events("sync:invalid")).toEqual([]);
    expect((await h.engine.status()).problemRuns).toEqual([]);
  });

  it("discovery skips and reports a race the adapter could not read; the rest of the discovery commits", async () => {
    const clock = new ManualClock("2026-07-10T10:00:00Z");
    const scripted = createScriptedAdapter({ clock, dataset: generateDataset({ races: 2, base }) });
    const skip: SkippedRace = {
      skipped: true,
      provider: "scripted",
      raceId: "9\u0000",
      eventId: null,
      reason: `unknown time zone "Mars"\u001b${"x".repeat(900)}`,
    };
    const adapter: ProviderAdapter = {
      ...scripted,
      async *listRaces(conn, window, ctx) {
        yield skip;
        yield* scripted.listRaces(conn, window, ctx);
      },
    };
    const h = createHarness({ clock, adapter: adapter as typeof scripted });
    await settle(clock, h.engine.discover());
    const finish = h.events("discovery:finish")[0]!;
    expect(finish).toMatchObject({ races: 2, newEvents: 2, error: null });
    expect(finish.skipped).toHaveLength(1);
    expect(finish.skipped[0]).toMatchObject({ skipped: true, raceId: "9 ", eventId: null });
    expect(finish.skipped[0]!.reason.length).toBeLessThanOrEqual(500);
    expect([...finish.skipped[0]!.reason].some((ch) => ch.charCodeAt(0) < 0x20)).toBe(false);
    expect(await h.store.listEvents()).toHaveLength(2);
  });
});

describe("reconciliation with unreadable rows", () => {
  async function reconcileAfterDrop(withUnreadable: boolean) {
    const clock = new ManualClock("2026-07-10T10:00:00Z");
    const data = generateDataset({ races: 1, base, registrationsPerEvent: 10 });
    const scripted = createScriptedAdapter({ clock, dataset: data });
    const adapter: ProviderAdapter = {
      ...scripted,
      async *fetchRegistrations(conn, args, ctx) {
        for await (const page of scripted.fetchRegistrations(conn, args, ctx)) {
          // The provider sends a row whose id cannot be read: it may be the "missing" registration.
          yield withUnreadable && args.modifiedSince === undefined
            ? {
                ...page,
                skipped: [
                  { registrationId: null, eventId: args.eventIds[0] ?? null, field: "registrationId", reason: "registration_id: missing" },
                ],
              }
            : page;
        }
      },
    };
    const h = createHarness({ clock, adapter: adapter as typeof scripted });
    await settle(clock, h.engine.runOnce());
    const gone = data.registrations[0]!.registrationId;
    scripted.dataset.dropRegistration(gone);
    const eventId = data.races[0]!.events[0]!.eventId;
    const result = await settle(clock, h.engine.syncEvent({ provider: "scripted", eventId }, { full: true }));
    const stored = await h.store.listRegistrations({ provider: "scripted" });
    return { h, result, status: stored.find((r) => r.registrationId === gone)?.status };
  }

  it("a full pull that met a row it could not read vanishes nothing and says so", async () => {
    const { h, result, status } = await reconcileAfterDrop(true);
    expect(result).toMatchObject({ ok: true, kind: "reconcile", vanished: 0, problems: 1 });
    expect(status).toBe("active");
    expect(h.events("reconcile:refused")).toMatchObject([{ wouldVanish: 1, active: 10, maxShare: 0 }]);
  });

  it("the same pull without the unreadable row marks the dropped registration vanished", async () => {
    const { h, result, status } = await reconcileAfterDrop(false);
    expect(result).toMatchObject({ ok: true, kind: "reconcile", vanished: 1, problems: 0 });
    expect(status).toBe("vanished");
    expect(h.events("reconcile:refused")).toEqual([]);
  });
});

describe("a reconciliation closed by an empty last page", () => {
  it("an unreadable row on the empty last page that completes a full pull still stops it vanishing anything", async () => {
    const clock = new ManualClock("2026-07-10T10:00:00Z");
    const data = generateDataset({ races: 1, base, registrationsPerEvent: 10 });
    const scripted = createScriptedAdapter({ clock, dataset: data });
    const adapter: ProviderAdapter = {
      ...scripted,
      async *fetchRegistrations(conn, args, ctx) {
        if (args.modifiedSince !== undefined || args.after !== undefined) return yield* scripted.fetchRegistrations(conn, args, ctx);
        // The full pull ends with a page of no rows but one the adapter could not read, so that
        // page (removals not due, nothing inserted) completes the pass in its own commit.
        for await (const page of scripted.fetchRegistrations(conn, args, ctx)) yield { ...page, after: page.after ?? "end" };
        yield {
          rows: [],
          after: null,
          skipped: [
            { registrationId: null, eventId: args.eventIds[0] ?? null, field: "registrationId", reason: "registration_id: missing" },
          ],
        };
      },
    };
    const h = createHarness({ clock, adapter: adapter as typeof scripted });
    await settle(clock, h.engine.runOnce());
    const gone = data.registrations[0]!.registrationId;
    scripted.dataset.dropRegistration(gone);
    const eventId = data.races[0]!.events[0]!.eventId;
    const now = clock.now();
    await h.store.updateSchedule({
      now,
      patches: [{ provider: "scripted", eventId, nextDueAt: now, reconcileDueAt: now, removalsDueAt: new Date(now.getTime() + 3_600_000) }],
    });
    await settle(clock, h.engine.runOnce());
    const stored = await h.store.listRegistrations({ provider: "scripted" });
    expect(h.events("sync:finish").at(-1)).toMatchObject({ kind: "reconcile", vanished: 0, problems: 1 });
    expect(stored.find((r) => r.registrationId === gone)?.status).toBe("active");
  });
});

describe("provider text", () => {
  it("cleanProviderText replaces control characters and lone surrogates, keeps pairs, cuts to 500 characters", () => {
    expect(cleanProviderText("a\u0000b\tc\n\u009bd")).toBe("a b c  d");
    expect(cleanProviderText("x\ud800y\udc00z 🏃")).toBe("x\ufffdy\ufffdz 🏃");
    const long = cleanProviderText("y".repeat(2000));
    expect(long).toHaveLength(500);
    expect(long.endsWith("…")).toBe(true);
    // The cut never leaves half an emoji.
    const emoji = cleanProviderText(`${"a".repeat(498)}🏃🏃`);
    expect(emoji).toBe(`${"a".repeat(498)}…`);
    expect(cleanProviderText(long)).toBe(long);
  });

  it("serializeError cleans and cuts every message, so a NUL from a provider can always be stored", () => {
    const s = serializeError(new ProviderError(`[runsignup] error 5 bad\u0000 \ud83d ${"z".repeat(3000)}`));
    expect(s.message.includes("\u0000")).toBe(false);
    expect(s.message).toBe(cleanProviderText(s.message));
    expect(s.message).toContain("\ufffd");
    expect(s.message.length).toBeLessThanOrEqual(500);
    expect(s).toMatchObject({ name: "ProviderError", code: "PROVIDER" });
    expect(serializeError("plain\u0000").message).toBe("plain ");
  });

  it("storableRaw leaves clean raws alone and makes NUL, lone surrogates, depth and cycles storable", () => {
    const clean = { a: [1, "🏃", { b: null }] };
    expect(storableRaw(clean)).toEqual({ raw: clean, json: JSON.stringify(clean), problem: null });
    expect(storableRaw(clean).raw).toBe(clean);
    const nul = storableRaw({ "k\u0000": "v\u0000", s: "\udc00" });
    expect(nul.raw).toEqual({ "k\ufffd": "v\ufffd", s: "\ufffd" });
    expect(nul.problem).toMatch(/NUL.*surrogate/);
    let deep: unknown = 1;
    for (let i = 0; i < 50_000; i++) deep = [deep];
    const cut = storableRaw(deep);
    expect(cut.problem).toMatch(/deeper than 100/);
    expect(JSON.parse(cut.json!)).toEqual(cut.raw);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(storableRaw(cyclic)).toMatchObject({ raw: { a: 1, self: "[cut: circular reference]" } });
    expect(storableRaw(undefined)).toEqual({ raw: undefined, json: null, problem: null });
  });
});
