import { AuthError, ProviderError, secret, type Connection, type Registration } from "@project88/core";
import { MockAgent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { createRunSignupAdapter } from "../src/index.js";
import { parseJsonExact } from "../src/json.js";
import { nextAfter } from "../src/paging.js";
import { callContext, collect, onlyRaces } from "./support/budget.js";

const conn: Connection = {
  id: "partner-a",
  provider: "runsignup",
  credentials: { apiKey: secret("key-1"), apiSecret: secret("s3cret") },
  budgetKey: "runsignup:partner-a",
  callsPerHour: 1000,
  maxInFlight: 2,
};
const args = { raceId: "85675", eventIds: ["661702"] };

let agent: MockAgent | undefined;
afterEach(async () => {
  await agent?.close();
  agent = undefined;
});

/** An adapter whose every call answers the given bodies in order. */
function serve(bodies: readonly string[], pageSize = 2500) {
  agent = new MockAgent();
  agent.disableNetConnect();
  const pool = agent.get("https://runsignup.com");
  const mock = agent;
  const paths: string[] = [];
  for (const body of bodies) {
    pool
      .intercept({
        path: (p) => {
          paths.push(p);
          return p.startsWith("/Rest/");
        },
        method: "GET",
      })
      .reply(200, body);
  }
  return { adapter: createRunSignupAdapter({ dispatcher: mock, pageSize }), paths };
}

const row = (id: number | string, extra: Record<string, unknown> = {}) => ({
  registration_id: id,
  user: { user_id: 7, first_name: "Ada", last_name: "Lovelace", dob: "1990-01-02", gender: "F" },
  age: 35,
  bib_num: 12,
  last_modified: 1_780_000_000,
  registration_date: "5/1/2026 10:00",
  ...extra,
});
const page = (rows: unknown[]) => JSON.stringify([{ event: { event_id: 661702 }, participants: rows }]);

describe("one bad row never fails its page", () => {
  it("a field that fails its schema is null with a problem naming it; raw keeps the row as sent", async () => {
    const bad = [
      row(1, { age: "" }),
      row(2, { user: { first_name: "Bob", dob: 19900102 } }),
      row(3, { registration_date: "not a date" }),
      row(4, { bib_num: { nested: true } }),
      row(5),
    ];
    const { adapter } = serve([page(bad)]);
    const [only] = await collect(adapter.fetchRegistrations(conn, args, callContext()));
    const rows = only!.rows as Registration[];
    expect(rows.map((r) => [r.registrationId, r.problems?.map((p) => p.field) ?? []])).toEqual([
      ["1", ["age"]],
      ["2", ["dob"]],
      ["3", ["registeredAt"]],
      ["4", ["bib"]],
      ["5", []],
    ]);
    expect(rows[0]).toMatchObject({ age: null, firstName: "Ada", raw: bad[0] });
    expect(rows[1]).toMatchObject({ dob: null, firstName: "Bob", raw: bad[1] });
    expect(rows[2]).toMatchObject({ registeredAt: null, raw: bad[2] });
    expect(rows[3]).toMatchObject({ bib: null, age: 35, raw: bad[3] });
    expect(rows[0]!.problems![0]!.reason).toContain('age ""');
    expect(rows[2]!.problems![0]!.reason).toContain('"not a date"');
  });

  it("a row without a readable registration_id is skipped, reported, and still counts for paging", async () => {
    // Page size 3: the first page sends 3 rows, one unreadable. Counting only readable rows would
    // see a short page and end the pass before rows 4 and 5.
    const { adapter, paths } = serve([page([row(1), { user: { first_name: "No id" } }, row(3)]), page([row(4), row(5)])], 3);
    const pages = await collect(adapter.fetchRegistrations(conn, args, callContext()));
    expect(pages.map((p) => [p.rows.map((r) => r.registrationId), p.after])).toEqual([
      [["1", "3"], "3"],
      [["4", "5"], null],
    ]);
    expect(pages[0]!.skipped).toMatchObject([{ registrationId: null, eventId: "661702", field: "registrationId" }]);
    expect(pages[0]!.skipped![0]!.reason).toContain("[0].participants[1]: registration_id");
    expect(pages[1]!.skipped).toBeUndefined();
    expect(paths.map((p) => new URL(p, "https://x").searchParams.get("after_registration_id"))).toContain("3");
  });

  it("an unparseable id and a non-object row are skipped too", async () => {
    const { adapter } = serve([page([row("12a"), "garbage", null, row(9)])]);
    const [only] = await collect(adapter.fetchRegistrations(conn, args, callContext()));
    expect(only!.rows.map((r) => r.registrationId)).toEqual(["9"]);
    expect(only!.skipped?.map((s) => s.registrationId)).toEqual(["12a", null, null]);
  });

  it("a full page with no readable id cannot be paged past: a typed error, never a pass that ends early", async () => {
    expect(() => nextAfter([[]], 2, [2])).toThrow(ProviderError);
    const { adapter } = serve([page([{ x: 1 }, { x: 2 }])], 2);
    await expect(collect(adapter.fetchRegistrations(conn, args, callContext()))).rejects.toBeInstanceOf(ProviderError);
  });

  it("the removal feed reads rows one by one too: a bad field is null with a problem, an unreadable row is skipped", async () => {
    const removed = (id: unknown, extra: Record<string, unknown> = {}) => ({
      registration_id: id,
      removed_reason: "refunded",
      last_modified_ts: 1_780_000_000,
      ...extra,
    });
    const body = JSON.stringify([
      {
        event: {
          event_id: 661702,
          participants: [
            removed(1, { new_registration_id: "abc" }),
            removed(2, { last_modified_ts: "soon", last_modified: "yesterday" }),
            removed(undefined),
            removed(4),
          ],
        },
      },
    ]);
    const { adapter } = serve([body]);
    const [only] = await collect(adapter.fetchRemovals(conn, args, callContext()));
    expect(only!.rows.map((r) => [r.registrationId, r.reason, r.newRegistrationId, r.problems?.map((p) => p.field) ?? []])).toEqual([
      ["1", "removed", null, ["newRegistrationId"]],
      ["2", "removed", null, ["modifiedAt"]],
      ["4", "removed", null, []],
    ]);
    expect(only!.rows[1]!.modifiedAt).toBeNull();
    expect(only!.skipped).toMatchObject([{ registrationId: null, eventId: "661702", field: "registrationId" }]);
  });

  it("ids beyond 2^53 are kept exactly and page in exact order", async () => {
    const big = ["9007199254740993", "9007199254740995", "12345678901234567890"];
    const body = `[{"event":{"event_id":661702},"participants":[${big.map((id) => `{"registration_id":${id},"rsu_transaction_id":${id}}`).join(",")}]}]`;
    const { adapter, paths } = serve([body, page([])], 3);
    const pages = await collect(adapter.fetchRegistrations(conn, args, callContext()));
    expect(pages[0]!.rows.map((r) => r.registrationId)).toEqual(big);
    expect(pages[0]!.rows[0]!.raw).toMatchObject({ rsu_transaction_id: "9007199254740993" });
    expect(pages[0]!.after).toBe("12345678901234567890");
    expect(paths.map((p) => new URL(p, "https://x").searchParams.get("after_registration_id"))).toContain("12345678901234567890");
    expect(nextAfter([["9007199254740993", "9007199254740992"]], 2)).toBe("9007199254740993");
  });

  it("parseJsonExact changes only unsafe integers", () => {
    expect(
      parseJsonExact('{"a":9007199254740993,"b":"9007199254740993","c":0.12345678901234567,"d":9007199254740991,"e":[-99999999999999999]}'),
    ).toEqual({
      a: "9007199254740993",
      b: "9007199254740993",
      c: JSON.parse("0.12345678901234567"),
      d: 9007199254740991,
      e: ["-99999999999999999"],
    });
  });
});

describe("provider text in errors and discovery", () => {
  it("error_msg is cleaned of control characters and lone surrogates and cut to 500 characters", async () => {
    const msg = `Permission\u0000 Denied\u001b[31m \ud800 ${"x".repeat(2000)}`;
    const { adapter } = serve([JSON.stringify({ error: { error_code: 6, error_msg: msg } })]);
    const error = (await collect(adapter.fetchRegistrations(conn, args, callContext())).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(AuthError);
    expect(error.message.length).toBeLessThanOrEqual(500);
    expect(error.message.startsWith("[runsignup] race 85675 participants: error 6 Permission  Denied [31m \ufffd xxx")).toBe(true);
    expect(error.message.endsWith("x…")).toBe(true);
  });

  it("a race with an unknown time zone and an event with an unreadable start are skipped and reported; the rest is kept", async () => {
    const event = (id: number, start: string) => ({ event_id: id, name: `E${id}`, start_time: start });
    const races = {
      races: [
        { race: { race_id: 1, name: "Good", timezone: "America/Denver", events: [event(11, "6/20/2026 08:30"), event(12, "soon")] } },
        { race: { race_id: 2, name: "Bad zone", timezone: "Mars/Olympus_Mons", events: [event(21, "6/20/2026 08:30")] } },
        { race: { race_id: 3, timezone: "America/Denver", events: [] } },
        { race: { race_id: 4, name: "Also good", timezone: "Europe/London", events: [event(41, "6/21/2026 09:00")] } },
      ],
    };
    const { adapter } = serve([JSON.stringify(races)]);
    const window = { from: new Date("2026-06-01T00:00:00Z"), to: new Date("2026-07-01T00:00:00Z") };
    const items = await collect(adapter.listRaces(conn, window, callContext()));
    expect(onlyRaces(items).map((r) => [r.raceId, r.events.map((e) => e.eventId)])).toEqual([
      ["1", ["11"]],
      ["4", ["41"]],
    ]);
    const skipped = items.filter((i) => "skipped" in i);
    expect(skipped.map((s) => ("skipped" in s ? [s.raceId, s.eventId] : null))).toEqual([
      ["1", "12"],
      ["2", null],
      ["3", null],
    ]);
    expect(skipped.map((s) => ("skipped" in s ? s.reason : ""))).toEqual([
      expect.stringContaining('unreadable date-time "soon"'),
      expect.stringContaining('unknown time zone "Mars/Olympus_Mons"'),
      expect.stringContaining("name"),
    ]);
  });
});
