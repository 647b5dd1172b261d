/** The table of bad configurations: what is wrong, and the path and words the error must contain. */
/** A valid configuration file. */
export const good = () => ({
  schema: "project88_sync",
  connections: [
    {
      id: "acme",
      provider: "runsignup",
      apiKey: { env: "ACME_KEY" },
      apiSecret: { env: "ACME_SECRET" },
      callsPerHour: 1000,
      maxInFlight: 2,
    },
    { id: "zenith", provider: "runsignup", apiKey: "zk", apiSecret: "zs", baseUrl: "http://127.0.0.1:8080/Rest" },
  ],
  schedule: {
    tiers: [
      { name: "high", within: "4h", every: "1m" },
      { name: "medium", within: "24h", every: "15m" },
      { name: "low", every: "240m" },
    ],
    overlap: "60s",
  },
  http: { port: 9464 },
});
export const env = { ACME_KEY: "key-1", ACME_SECRET: "secret-1" };

export type Mutator = (c: ReturnType<typeof good> & Record<string, unknown>) => unknown;

/** Each bad configuration, the path the message must name, and a word of the problem. */
export const BAD: readonly (readonly [string, Mutator, string, string])[] = [
  [
    "missing api secret",
    (c) => {
      delete (c.connections[1] as Record<string, unknown>).apiSecret;
      return c;
    },
    "connections[1].apiSecret",
    "required",
  ],
  ["no connections", (c) => ({ ...c, connections: [] }), "connections", "at least one"],
  [
    "connections missing",
    (c) => {
      delete (c as Record<string, unknown>).connections;
      return c;
    },
    "connections",
    "required",
  ],
  [
    "unknown provider",
    (c) => {
      (c.connections[0] as Record<string, unknown>).provider = "chronotrack";
      return c;
    },
    "connections[0].provider",
    "unsupported provider",
  ],
  [
    "typo in a key",
    (c) => {
      (c.connections[0] as Record<string, unknown>).apiScret = "x";
      return c;
    },
    "connections[0].apiScret",
    "unknown key",
  ],
  [
    "env var not set",
    (c) => {
      (c.connections[0] as Record<string, unknown>).apiKey = { env: "NOT_SET_ANYWHERE" };
      return c;
    },
    "connections[0].apiKey",
    "NOT_SET_ANYWHERE",
  ],
  [
    "bad env name",
    (c) => {
      (c.connections[0] as Record<string, unknown>).apiKey = { env: "1-bad" };
      return c;
    },
    "connections[0].apiKey.env",
    "environment variable name",
  ],
  [
    "plain http to a remote host",
    (c) => {
      (c.connections[1] as Record<string, unknown>).baseUrl = "http://runsignup.com/Rest";
      return c;
    },
    "connections[1].baseUrl",
    "https",
  ],
  [
    "negative budget",
    (c) => {
      (c.connections[0] as Record<string, unknown>).callsPerHour = -5;
      return c;
    },
    "connections[0].callsPerHour",
    "positive",
  ],
  [
    "fractional in-flight",
    (c) => {
      (c.connections[0] as Record<string, unknown>).maxInFlight = 1.5;
      return c;
    },
    "connections[0].maxInFlight",
    "whole number",
  ],
  [
    "duplicate ids",
    (c) => {
      (c.connections[1] as Record<string, unknown>).id = "acme";
      return c;
    },
    "connections[1].id",
    "duplicate",
  ],
  [
    "bad duration",
    (c) => {
      (c.schedule as Record<string, unknown>).overlap = "soon";
      return c;
    },
    "schedule.overlap",
    "duration",
  ],
  [
    "bad tier",
    (c) => {
      c.schedule.tiers[1] = { name: "medium", within: "24h", every: "0m" };
      return c;
    },
    "schedule.tiers[1].every",
    "longer than zero",
  ],
  [
    "reserved tier",
    (c) => {
      c.schedule.tiers[0] = { name: "done", within: "4h", every: "1m" };
      return c;
    },
    "schedule.tiers[0].name",
    "reserved",
  ],
  [
    "bad discovery time",
    (c) => {
      (c.schedule as Record<string, unknown>).discoveryTimes = ["25:00"];
      return c;
    },
    "schedule.discoveryTimes[0]",
    "HH:MM",
  ],
  ["port out of range", (c) => ({ ...c, http: { port: 70_000 } }), "http.port", "port"],
  ["bad schema name", (c) => ({ ...c, schema: "Robert'); DROP" }), "schema", "lower-case"],
  ["database url env missing", (c) => ({ ...c, database: { url: { env: "NO_DB_URL_HERE" } } }), "database.url", "NO_DB_URL_HERE"],
  [
    "widest tier not last",
    (c) => {
      c.schedule.tiers.reverse();
      return c;
    },
    "schedule.tiers[0].within",
    "only the last",
  ],
  ["lease under a second", (c) => ({ ...c, engine: { lease: "500ms" } }), "engine.lease", "at least 1s"],
  ["unknown engine key", (c) => ({ ...c, engine: { leese: "5s" } }), "engine.leese", "unknown key"],
  ["page size over RunSignUp's maximum", (c) => ({ ...c, runsignup: { pageSize: 5000 } }), "runsignup.pageSize", "at most 2500"],
  ["not an object", () => [1, 2], "(root)", "object"],
  ["tiny response limit", (c) => ({ ...c, runsignup: { maxResponseBytes: 10 } }), "runsignup.maxResponseBytes", "at least 1024"],
  ["bad headers timeout", (c) => ({ ...c, runsignup: { headersTimeout: "0s" } }), "runsignup.headersTimeout", "longer than zero"],
  ["bad clock skew", (c) => ({ ...c, clock: { maxSkew: "soon" } }), "clock.maxSkew", "duration"],
  ["unknown runsignup key", (c) => ({ ...c, runsignup: { timeout: "5s" } }), "runsignup.timeout", "unknown key"],
];
