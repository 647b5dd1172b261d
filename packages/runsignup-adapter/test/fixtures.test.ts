import { readdirSync } from "node:fs";
import { ForbiddenError, NotFoundError, secret, type Connection } from "@project88/core";
import { MockAgent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { createRunSignupAdapter } from "../src/index.js";
import { mapRace, readParticipants } from "../src/map.js";
import { nextAfter } from "../src/paging.js";
import { EASTERN, parseZonedDateTime } from "../src/time.js";
import { findErrorEnvelope, parseBody, participantsSchema, raceDetailSchema, raceListSchema } from "../src/schemas.js";
import { callContext, collect, onlyRaces } from "./support/budget.js";
import { fixture, fixturesDir, fixtureText } from "./support/fixtures.js";

const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;

describe("recorded fixtures", () => {
  it("covers every file in the fixtures directory", () => {
    const covered = [
      "races-page.json",
      "race-detail.json",
      "race-detail-1649-events-headings.json",
      "race-detail-sanitized-full-event-fields.json",
      "participants-page-1.json",
      "participants-page-2.json",
      "participants-multi-element-with-questions.json",
      "error-7-permission-denied.json",
      "error-201-race-not-found.json",
      "error-301-event-not-found.json",
    ];
    const present = readdirSync(fixturesDir).filter((f) => f.endsWith(".json"));
    expect(present.sort()).toEqual([...covered].sort());
  });

  it("races-page.json: 50 races, trimmed names, zones, Eastern timestamps", () => {
    const list = parseBody(raceListSchema, fixture("races-page.json"), "races page 1");
    const races = list.races.map(({ race }) => mapRace(race));
    expect(races).toHaveLength(50);
    expect(races[0]).toMatchObject({
      provider: "runsignup",
      raceId: "16404",
      name: "Chilly Cheeks 10 Mile, 5Mile, 5K, 1 Mile and Virtual Run",
      timezone: "America/Chicago",
      nextDate: "2019-04-06",
      events: [],
    });
    expect(races.at(-1)).toMatchObject({ raceId: "11824", name: "11th ANNUAL SHAMROCK SHUFFLE", nextDate: "2019-03-16" });
    expect(races.find((r) => r.raceId === "29128")?.name).toBe('"Build a Church" Missions 5K');
    expect(races.find((r) => r.raceId === "39798")?.name).toBe("Reindeer Run 5K Run-Walk, 2Mile Walk, Kids 1K");
    expect(races.every((r) => r.name === r.name.trim())).toBe(true);
    const zones = new Map<string, number>();
    for (const r of races) zones.set(r.timezone, (zones.get(r.timezone) ?? 0) + 1);
    expect(Object.fromEntries(zones)).toEqual({
      "America/New_York": 30,
      "America/Chicago": 9,
      "America/Los_Angeles": 4,
      "America/Detroit": 3,
      "America/Denver": 2,
      "America/Indiana/Indianapolis": 1,
      "America/Phoenix": 1,
    });
    // Unknown fields are kept in raw.
    expect(races[0]!.raw).toMatchObject({ fb_page_id: "chillycheeks5K", is_registration_open: "F" });
    // created "8/14/2014 12:20" (EDT) and last_modified "11/15/2018 10:35" (EST).
    // Races are read one by one, so the list keeps each race as sent.
    const last = list.races.at(-1)!.race as { created: string; last_modified: string };
    expect(iso(parseZonedDateTime(last.created as string, EASTERN))).toBe("2014-08-14T16:20:00.000Z");
    expect(iso(parseZonedDateTime(last.last_modified as string, EASTERN))).toBe("2018-11-15T15:35:00.000Z");
  });

  it("race-detail.json: no timezone means New York; event times become UTC", () => {
    const race = mapRace(parseBody(raceDetailSchema, fixture("race-detail.json"), "race 85675"));
    expect(race).toMatchObject({ raceId: "85675", name: "Running Up For Air", timezone: "America/New_York", nextDate: "2023-02-10" });
    expect(race.events.map((e) => [e.eventId, e.name, iso(e.startsAt), iso(e.endsAt)])).toEqual([
      ["661702", "24 hr", "2023-02-10T23:00:00.000Z", "2023-02-11T23:00:00.000Z"],
      ["661703", "12 hr", "2023-02-11T11:00:00.000Z", "2023-02-11T23:00:00.000Z"],
      ["661817", "6 hr", "2023-02-10T23:00:00.000Z", "2023-02-11T05:00:00.000Z"],
    ]);
    expect(race.events[0]!.raw).toMatchObject({ race_event_days_id: 243601 });
    const body = parseBody(raceDetailSchema, fixture("race-detail.json"), "race 85675") as { created: string; last_modified: string };
    expect(iso(parseZonedDateTime(body.created as string, EASTERN))).toBe("2020-01-20T21:55:00.000Z");
    expect(iso(parseZonedDateTime(body.last_modified as string, EASTERN))).toBe("2023-02-09T02:39:00.000Z");
  });

  it("race-detail.json also parses when wrapped in an array", () => {
    const race = mapRace(parseBody(raceDetailSchema, [fixture("race-detail.json")], "race 85675"));
    expect(race.events).toHaveLength(3);
  });

  it("race-detail-1649-events-headings.json: Denver wall clock, null end times", () => {
    const race = mapRace(parseBody(raceDetailSchema, fixture("race-detail-1649-events-headings.json"), "race 1649"));
    expect(race).toMatchObject({ raceId: "1649", timezone: "America/Denver", nextDate: "2017-11-18" });
    expect(race.events.map((e) => [e.eventId, iso(e.startsAt), e.endsAt])).toEqual([
      ["139165", "2017-11-18T16:00:00.000Z", null],
      ["139166", "2017-11-18T16:10:00.000Z", null],
    ]);
    expect(race.raw).toMatchObject({
      headings: [{ heading_text: "Driving Directions to the Park" }, { heading_text: "More Information" }],
    });
  });

  it("race-detail-sanitized-full-event-fields.json: Chicago in daylight time", () => {
    const race = mapRace(parseBody(raceDetailSchema, fixture("race-detail-sanitized-full-event-fields.json"), "race 1"));
    expect(race).toMatchObject({ raceId: "1", timezone: "America/Chicago", nextDate: "2019-03-20" });
    expect(race.events.map((e) => [e.eventId, e.name, iso(e.startsAt), e.endsAt])).toEqual([["1", "5K", "2019-03-20T14:00:00.000Z", null]]);
    expect(race.events[0]!.raw).toMatchObject({ sub_event_ids: [], registration_periods: [{ race_fee: "$11.00" }] });
  });

  for (const [name, people] of [
    [
      "participants-page-1.json",
      [
        ["18423667", "Bubba", "Gump", "M", "3", 64, "Atlanta", "GA", "1958-01-01"],
        ["55389794", "Jenny", "Gump", "F", "5", 63, "Los Angeles", "CA", "1959-06-02"],
      ],
    ],
    [
      "participants-page-2.json",
      [
        ["18498798", "Gilford", "Granger", "M", "13", 25, "Boston", "MA", "1998-01-01"],
        ["58758754", "Yolanda", "Yorgenson", "F", "15", 35, "Golan Heights", "MI", "1988-11-11"],
      ],
    ],
  ] as const) {
    it(`${name}: trimmed recording without registration_id: each row is skipped, naming its path; the page still parses`, () => {
      const [element] = parseBody(participantsSchema, fixture(name), "race 85675 participants");
      const read = readParticipants(element!.participants, "85675", "661702", "[0].participants");
      expect(read.rows).toEqual([]);
      expect(read.size).toBe(2);
      expect(read.skipped.map((s) => [s.registrationId, s.eventId, s.field])).toEqual([
        [null, "661702", "registrationId"],
        [null, "661702", "registrationId"],
      ]);
      expect(read.skipped[0]!.reason).toContain("[0].participants[0]: registration_id");
      expect(read.skipped[1]!.reason).toContain("[0].participants[1]: registration_id");
    });

    it(`${name}: with ids restored, rows map to registrations`, () => {
      const body = fixture(name) as { participants: Record<string, unknown>[] }[];
      for (const [i, row] of body[0]!.participants.entries()) row.registration_id = 1000 + i;
      const [element] = parseBody(participantsSchema, body, "race 85675 participants");
      expect(element!.event.event_id).toBe(661702);
      const { rows, skipped } = readParticipants(element!.participants, "85675", "661702", "[0].participants");
      expect(skipped).toEqual([]);
      // raw is the provider's row, verbatim.
      expect(rows.map((r) => r.raw)).toEqual(body[0]!.participants);
      expect(rows.map((r) => [r.userId, r.firstName, r.lastName, r.gender, r.bib, r.age, r.city, r.state, r.dob])).toEqual(people);
      expect(rows.map((r) => [r.registrationId, r.raceId, r.eventId, r.country, r.chip, r.registeredAt, r.modifiedAt])).toEqual([
        ["1000", "85675", "661702", "US", null, null, null],
        ["1001", "85675", "661702", "US", null, null, null],
      ]);
      expect(rows[0]!.email).toMatch(/@example\.com$/);
    });
  }

  it("participants-multi-element-with-questions.json: an element without participants is empty", () => {
    const elements = parseBody(participantsSchema, fixture("participants-multi-element-with-questions.json"), "race 1 participants");
    expect(elements).toHaveLength(2);
    expect(elements[0]!.participants).toBeUndefined();
    const rows = elements.flatMap((el) => readParticipants(el.participants, "1", String(el.event.event_id), "row").rows);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ registrationId: "1", eventId: "1", age: 45, bib: null, chip: null, userId: null, firstName: null });
    // registration_date "10/21/2011 11:25" is Eastern daylight time; last_modified is epoch seconds.
    expect(iso(rows[0]!.registeredAt)).toBe("2011-10-21T15:25:00.000Z");
    expect(iso(rows[0]!.modifiedAt)).toBe("2018-11-04T13:10:24.000Z");
    expect((rows[0]!.raw as { question_responses: unknown[] }).question_responses).toHaveLength(3);
    expect((rows[0]!.raw as { amount_paid: string }).amount_paid).toBe("$32.00");
    expect(nextAfter([[], ["1"]], 2500)).toBeNull();
  });

  it("the three error recordings are error envelopes", () => {
    expect(findErrorEnvelope(fixture("error-7-permission-denied.json"))).toEqual({ error_code: 7, error_msg: "Permission Denied" });
    expect(findErrorEnvelope(fixture("error-201-race-not-found.json"))).toEqual({ error_code: 201, error_msg: "Race not found." });
    expect(findErrorEnvelope([fixture("error-301-event-not-found.json")])).toEqual({ error_code: 301, error_msg: "Event not found." });
  });
});

describe("recorded responses through the adapter (undici MockAgent)", () => {
  let agent: MockAgent;
  afterEach(async () => {
    await agent.close();
  });

  const conn: Connection = {
    id: "partner-a",
    provider: "runsignup",
    credentials: { apiKey: secret("key-1"), apiSecret: secret("canary-secret-0451") },
    budgetKey: "runsignup:partner-a",
    callsPerHour: 1000,
    maxInFlight: 2,
  };

  function setup(path: RegExp, body: string) {
    agent = new MockAgent();
    agent.disableNetConnect();
    agent
      .get("https://runsignup.com")
      .intercept({ path, method: "GET" })
      .reply(200, body, { headers: { "content-type": "application/json" } });
    return createRunSignupAdapter({ dispatcher: agent });
  }

  for (const [name, cls, code] of [
    // Error 7 on a race's participants: that race is refused to these credentials, not the key.
    ["error-7-permission-denied.json", ForbiddenError, "FORBIDDEN"],
    ["error-201-race-not-found.json", NotFoundError, "NOT_FOUND"],
    ["error-301-event-not-found.json", NotFoundError, "NOT_FOUND"],
  ] as const) {
    it(`${name} (HTTP 200) raises ${cls.name}, never an empty page`, async () => {
      const adapter = setup(/^\/Rest\/race\/85675\/participants\?/, fixtureText(name));
      const error = await collect(adapter.fetchRegistrations(conn, { raceId: "85675", eventIds: ["661702"] }, callContext())).catch(
        (e) => e,
      );
      expect(error).toBeInstanceOf(cls);
      expect(error.code).toBe(code);
      expect(error.retryable).toBe(false);
      expect(error.message).toContain("race 85675 participants");
      expect(JSON.stringify(error)).not.toContain("canary-secret-0451");
    });
  }

  it("participants-multi-element-with-questions.json pages to one final page", async () => {
    const adapter = setup(/participants\?/, fixtureText("participants-multi-element-with-questions.json"));
    const pages = await collect(adapter.fetchRegistrations(conn, { raceId: "1", eventIds: ["1", "2"] }, callContext()));
    expect(pages).toHaveLength(1);
    expect(pages[0]!.after).toBeNull();
    expect(pages[0]!.rows.map((r) => r.registrationId)).toEqual(["1"]);
  });

  it("race-detail.json is fetched when the race list carries no events", async () => {
    agent = new MockAgent();
    agent.disableNetConnect();
    const pool = agent.get("https://runsignup.com");
    const detail = fixture("race-detail.json") as { race: Record<string, unknown> };
    const { events: _events, ...listed } = detail.race;
    pool.intercept({ path: /^\/Rest\/races\?/, method: "GET" }).reply(200, JSON.stringify({ races: [{ race: listed }] }));
    pool.intercept({ path: /^\/Rest\/race\/85675\?/, method: "GET" }).reply(200, fixtureText("race-detail.json"));
    const adapter = createRunSignupAdapter({ dispatcher: agent });
    const window = { from: new Date("2023-02-01T00:00:00Z"), to: new Date("2023-03-01T00:00:00Z") };
    const races = onlyRaces(await collect(adapter.listRaces(conn, window, callContext())));
    expect(races.map((r) => [r.raceId, r.events.map((e) => e.eventId)])).toEqual([["85675", ["661702", "661703", "661817"]]]);
    agent.assertNoPendingInterceptors();
  });
});
