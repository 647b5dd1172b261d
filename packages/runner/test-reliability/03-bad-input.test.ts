import { FakeDataset, type FakeRace, type FakeRegistration } from "@project88/runsignup-adapter/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { killChildren, runCliProcess, writeConfig } from "../test/support/cli-process.js";
import { createRig, FAST_SCHEDULE, type Rig } from "./support/rig.js";
import { pause, report, rngFor } from "./support/seed.js";

/**
 * Section 5: bad input. Each bad provider response sits in a race of its own with two events
 * (one bad row in the first): whatever happens to the bad row (stored right; stored with the
 * field null and the problem recorded; or rejected with a typed error), the other rows of the
 * page, the sibling event and every other race must be stored exactly.
 */
const HOUR = 3_600_000;
const BEYOND_2_53 = "9007199254740993"; // 2^53 + 1: JSON.parse turns it into ...992

interface Case {
  race: FakeRace;
  bad: FakeRegistration;
}

describe("section 5: bad provider responses", () => {
  let rig: Rig;
  let failed = false;
  const cases = new Map<string, Case>();
  let clean: FakeRace;

  /** A race of two events, 40 rows each; `fields` makes row 20 of the first event bad. */
  const addCase = (name: string, fields: Record<string, unknown> = {}): Case => {
    const d = rig.fake.dataset;
    const race = d.addRace({
      keys: [rig.keys[0]!],
      timezone: "America/Denver",
      name: `Bad input: ${name}`,
      events: [{ startsAt: new Date(Date.now() + 3 * HOUR) }, { startsAt: new Date(Date.now() + 3 * HOUR + 1_800_000) }],
    });
    let bad: FakeRegistration | undefined;
    for (let i = 0; i < 40; i++) {
      for (const [n, e] of race.events.entries()) {
        const row = d.create(
          e.eventId,
          n === 0 && i === 20 ? (fields as Partial<FakeRegistration>) : {},
          new Date(Date.now() - 86_400_000),
        );
        if (n === 0 && i === 20) bad = row;
      }
    }
    const c = { race, bad: bad! };
    cases.set(name, c);
    return c;
  };

  /** Rewrites the participants body of one race on every request. */
  const rewrite = (c: Case, fn: (body: string) => string) =>
    rig.fake.faults.setRate(1, ["rewrite"], "participants", { raceId: c.race.raceId, rewrite: fn });

  beforeAll(async () => {
    const { seed } = rngFor("bad-input");
    rig = await createRig({ prefix: "rel_bad", seed });
    addCase("dob 0000-00-00", { dob: "0000-00-00" });
    addCase("empty age", { age: "" });
    addCase("wrong type", { firstName: 12345 });
    addCase("quotes emoji sql", { firstName: `O'Brien "Jr"`, lastName: `😀🏃‍♀️ Robert'); DROP TABLE registrations;--` });
    addCase("nul byte", { firstName: "Ann\u0000e" });
    const missing = addCase("missing registration_id");
    rewrite(missing, (body) => body.replace(`"registration_id":${missing.bad.registrationId},`, ""));
    const big = addCase("id beyond 2^53");
    rewrite(big, (body) => body.replace(`"registration_id":${big.bad.registrationId},`, `"registration_id":${BEYOND_2_53},`));
    const notJson = addCase("non-JSON body");
    rewrite(notJson, () => "<html><body>Service Temporarily Unavailable</body></html>");
    const huge = addCase("20 MB body");
    rewrite(huge, (body) =>
      body.replace(
        `"registration_id":${huge.bad.registrationId},`,
        `"registration_id":${huge.bad.registrationId},"padding":"${"x".repeat(20 * 1024 * 1024)}",`,
      ),
    );
    clean = rig.fake.dataset.addRace({
      keys: [rig.keys[0]!],
      timezone: "Europe/London",
      name: "Clean race",
      events: [{ startsAt: new Date(Date.now() + 5 * HOUR) }],
    });
    for (let i = 0; i < 40; i++) rig.fake.dataset.create(clean.events[0]!.eventId, {}, new Date(Date.now() - 86_400_000));
    // Two runs: the second retries whatever failed in the first.
    await rig.once();
    await pause(2_100);
    await rig.once();
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === "fail") failed = true;
  });
  afterAll(async () => {
    killChildren();
    await rig?.close(failed);
  });

  const eventsOf = (race: FakeRace) => race.events.map((e) => e.eventId);
  /** Differences between the store and the fake for a race, the bad row's own lines left out. */
  const othersDiff = async (c: Case, badIds: readonly string[] = [String(c.bad.registrationId)]) =>
    (await rig.diff(eventsOf(c.race))).filter(
      (line) => !badIds.some((id) => line.startsWith(`${id}.`) || line.startsWith(`missing ${id} `) || line.startsWith(`extra ${id} `)),
    );
  /** Everything the store says about a race's passes and a registration: where a recorded problem must show. */
  const recorded = async (raceId: number, registrationId: string): Promise<string> => {
    const runs = await rig.sql.query<{ t: string }>(
      `SELECT row_to_json(r)::text AS t FROM "${rig.db.schema}".sync_runs r WHERE race_id = $1`,
      [String(raceId)],
    );
    const row = await rig.sql.query<{ t: string }>(
      `SELECT (to_jsonb(g) - 'raw')::text AS t FROM "${rig.db.schema}".registrations g WHERE registration_id = $1`,
      [registrationId],
    );
    const tables = await rig.sql.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name LIKE '%problem%'`,
      [rig.db.schema],
    );
    const extra: string[] = [];
    for (const { table_name } of tables) {
      const rows = await rig.sql.query<{ t: string }>(`SELECT row_to_json(p)::text AS t FROM "${rig.db.schema}"."${table_name}" p`);
      extra.push(...rows.map((r) => r.t).filter((t) => t.includes(registrationId)));
    }
    return [...runs.map((r) => r.t), ...row.map((r) => r.t), ...extra].join("\n");
  };
  const stored = async (registrationId: string) =>
    (
      await rig.sql.query<Record<string, unknown>>(
        `SELECT *, dob::text AS dob FROM "${rig.db.schema}".registrations WHERE registration_id = $1`,
        [registrationId],
      )
    )[0];

  it("a clean race beside them is stored exactly", async () => {
    expect(await rig.diff(eventsOf(clean))).toEqual([]);
  });

  for (const [name, field, column] of [
    ["dob 0000-00-00", "dob", "dob"],
    ["empty age", "age", "age"],
  ] as const) {
    it(`${name}: the row is stored with ${column} null and the problem recorded; the rest of the page, the sibling event and other races are stored`, async () => {
      const c = cases.get(name)!;
      expect(await othersDiff(c)).toEqual([]);
      const row = await stored(String(c.bad.registrationId));
      expect(row, "the bad row itself is kept").toBeDefined();
      expect(row?.[column]).toBeNull();
      expect(row?.first_name).toBe(c.bad.firstName.trim());
      expect(await recorded(c.race.raceId, String(c.bad.registrationId))).toContain(field);
    });
  }

  it("a field of the wrong type is stored as text or null with the problem recorded; the rest goes on", async () => {
    const c = cases.get("wrong type")!;
    expect(await othersDiff(c)).toEqual([]);
    const row = await stored(String(c.bad.registrationId));
    expect(row).toBeDefined();
    if (row?.first_name !== "12345") {
      expect(row?.first_name).toBeNull();
      expect(await recorded(c.race.raceId, String(c.bad.registrationId))).toContain("first_name");
    }
  });

  it("names with quotes, emoji and SQL-looking text are stored exactly", async () => {
    const c = cases.get("quotes emoji sql")!;
    expect(await rig.diff(eventsOf(c.race))).toEqual([]);
  });

  it("a NUL byte in a name: the row is stored (NUL dropped, or the field null with the problem recorded) and the raw row kept", async () => {
    const c = cases.get("nul byte")!;
    expect(await othersDiff(c)).toEqual([]);
    const row = await stored(String(c.bad.registrationId));
    expect(row).toBeDefined();
    expect(row?.raw).not.toBeNull();
    if (row?.first_name !== "Anne" && row?.first_name !== "Ann\uFFFDe") {
      expect(row?.first_name).toBeNull();
      expect(await recorded(c.race.raceId, String(c.bad.registrationId))).toContain("first_name");
    }
  });

  it("a row without registration_id is skipped and recorded; the rest of the page commits", async () => {
    const c = cases.get("missing registration_id")!;
    expect(await othersDiff(c)).toEqual([]);
    expect(await stored(String(c.bad.registrationId))).toBeUndefined();
    expect(await recorded(c.race.raceId, String(c.bad.registrationId))).toContain("registration_id");
  });

  it(`an id beyond 2^53 is never stored as a different id: kept exactly, or rejected and recorded`, async () => {
    const c = cases.get("id beyond 2^53")!;
    expect(await othersDiff(c, [String(c.bad.registrationId), BEYOND_2_53])).toEqual([]);
    expect(await stored("9007199254740992"), "a rounded id would be another participant's").toBeUndefined();
    const exact = await stored(BEYOND_2_53);
    if (exact === undefined) expect(await recorded(c.race.raceId, BEYOND_2_53)).toMatch(/registration_id|2\^53|9007199254740993/);
  });

  for (const name of ["non-JSON body", "20 MB body"] as const) {
    it(`${name}: stored exactly, or the pass fails with a typed error in sync_runs; other races go on`, async () => {
      const c = cases.get(name)!;
      const diff = await rig.diff(eventsOf(c.race));
      if (diff.length > 0) {
        const runs = await rig.sql.query<{ status: string; error: { code?: string; name?: string } | null }>(
          `SELECT status, error FROM "${rig.db.schema}".sync_runs WHERE race_id = $1`,
          [String(c.race.raceId)],
        );
        expect(runs.length).toBeGreaterThan(0);
        for (const r of runs) {
          expect(r.status).toBe("failed");
          expect(r.error?.code).toMatch(/^(SCHEMA|PROVIDER)$/);
        }
      }
      expect(await rig.diff(eventsOf(clean))).toEqual([]);
      const stuck = await rig.sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${rig.db.schema}".sync_runs WHERE status = 'running'`,
      );
      expect(stuck[0]?.n).toBe(0);
    });
  }
});

describe("section 5: bad configurations, through the real CLI", () => {
  const cases: [string, Record<string, unknown>, string, string][] = [
    [
      "unknown provider",
      { id: "a", provider: "chronotrack", apiKey: "k", apiSecret: "s" },
      "connections[0].provider",
      "unsupported provider",
    ],
    [
      "non-https base URL to a remote host",
      { id: "a", provider: "runsignup", apiKey: "k", apiSecret: "s", baseUrl: "http://runsignup.com/Rest" },
      "connections[0].baseUrl",
      "https",
    ],
    [
      "missing secret variable",
      { id: "a", provider: "runsignup", apiKey: { env: "NO_SUCH_KEY_VAR" }, apiSecret: "s" },
      "connections[0].apiKey",
      "NO_SUCH_KEY_VAR",
    ],
  ];
  for (const [name, connection, path, words] of cases) {
    it(`${name}: exit 2 naming ${path}; nothing touches the database`, async () => {
      const file = await writeConfig({ schema: "rel_never_created", connections: [connection], http: { port: 0 } });
      try {
        const r = await runCliProcess(["once", "--config", file.path], { DATABASE_URL: "postgres://postgres@127.0.0.1:5432/test" });
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(`${path}: `);
        expect(r.stderr).toContain(words);
        expect(r.stdout).toBe("");
      } finally {
        await file.remove();
      }
    });
  }

  it("a duplicate connection id: exit 2 naming it", async () => {
    const c = { provider: "runsignup", apiKey: "k", apiSecret: "s" };
    const file = await writeConfig({
      connections: [
        { id: "a", ...c },
        { id: "a", ...c },
      ],
      http: { port: 0 },
    });
    try {
      const r = await runCliProcess(["once", "--config", file.path], { DATABASE_URL: "postgres://postgres@127.0.0.1:5432/test" });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("connections[1].id: ");
      expect(r.stderr).toContain("duplicate");
    } finally {
      await file.remove();
    }
  });
});

describe("section 5: the fake's clock 90 s behind the host's (issue 8)", () => {
  let rig: Rig;
  let failed = false;
  afterEach((ctx) => {
    if (ctx.task.result?.state === "fail") failed = true;
  });
  afterAll(async () => {
    killChildren();
    await rig?.close(failed);
  });

  it("no change is lost across ten incremental passes", async () => {
    const { seed } = rngFor("clock-skew");
    const dataset = new FakeDataset({ seed, now: () => new Date(Date.now() - 90_000) });
    // Incremental passes, whose modified-since cursors the skew could break: a race of 50 would
    // otherwise be read whole on every pass, with no cursor to get wrong.
    rig = await createRig({ prefix: "rel_skew", seed, fake: { dataset }, config: { schedule: { ...FAST_SCHEDULE, wholePullMaxRows: 0 } } });
    const race = dataset.addRace({
      keys: [rig.keys[0]!],
      timezone: "America/New_York",
      events: [{ startsAt: new Date(Date.now() + 2 * HOUR) }],
    });
    const eventId = race.events[0]!.eventId;
    for (let i = 0; i < 50; i++) dataset.create(eventId, {}, new Date(Date.now() - 86_400_000));
    const child = await rig.start();
    const incrementals = () => child.logs().filter((l) => l.event === "sync:finish" && l.kind === "incremental").length;
    while (incrementals() < 1) await pause(100);
    const first = incrementals();
    let changes = 0;
    while (incrementals() < first + 10) {
      const active = dataset.activeOf(eventId);
      dataset.register(eventId);
      dataset.modify(active[changes % active.length]!.registrationId, { lastName: `Changed ${changes}` });
      if (changes % 3 === 0) dataset.remove(active[(changes * 7) % active.length]!.registrationId);
      changes++;
      await pause(300);
    }
    const last = incrementals();
    while (incrementals() < last + 2) await pause(100);
    child.kill("SIGTERM");
    await child.exited;
    const diff = await rig.diff([eventId]);
    report("clock-skew", { seed, changes, passes: incrementals(), differences: diff.length });
    expect(diff).toEqual([]);
  });
});
