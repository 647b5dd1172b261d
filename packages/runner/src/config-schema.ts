import { ConfigError, SCHEDULE_OPTION_NAMES, type ScheduleInput } from "@project88/core";
import { checkBaseUrl } from "@project88/runsignup-adapter";
import { z } from "zod";
import { parseDuration } from "./duration.js";

/**
 * The configuration file's shape (`project88-sync.config.json`). Objects are strict so a typo
 * (`apiScret`) is reported instead of silently ignored, which on race morning means a connection
 * that never authenticates.
 */

/** A secret given inline or, better, by the name of an environment variable. */
export const secretInputSchema = z.union([
  z.string().min(1, "must not be empty"),
  z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name") }),
]);

/** A duration: `90s`, `15m`, `4h`, `1d`, or a number of milliseconds. */
export const durationSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === null) {
    ctx.addIssue({ code: "custom", message: "expected a duration such as 90s, 15m, 4h or a number of milliseconds" });
    return z.NEVER;
  }
  return ms;
});

/** A tier as written: `within` and `every` are durations (core's `withinMs`/`everyMs`). */
const tierSchema = z.strictObject({ name: z.string(), within: durationSchema.optional(), every: durationSchema });

/** The file's name of a core schedule option: durations drop their `Ms` (`overlapMs` is `overlap`). */
export function scheduleFileKey(name: string): string {
  return name.replace(/Ms$/, "");
}

type FileKey<K extends string> = K extends `${infer Base}Ms` ? Base : K;

/** Schedule settings as written: core's options under their file names, durations in ms once parsed. */
export type ScheduleFile = {
  readonly [K in keyof ScheduleInput as FileKey<K & string>]?: K extends "tiers"
    ? readonly z.output<typeof tierSchema>[]
    : K extends `${string}Ms`
      ? number
      : ScheduleInput[K];
};

/**
 * Schedule settings: exactly core's schedule options (`SCHEDULE_OPTION_NAMES`), each `...Ms` one
 * spelt without `Ms` and given as a duration. The file's schema only parses durations and refuses
 * unknown keys; the values are checked by core's own schema (the runner puts its paths back into
 * the file's words), so no schedule rule is written twice.
 */
export const scheduleSchema = z.strictObject(
  Object.fromEntries(
    SCHEDULE_OPTION_NAMES.map((name) => {
      if (name === "tiers") return [name, z.array(tierSchema).optional()];
      if (name.endsWith("Ms")) return [scheduleFileKey(name), durationSchema.optional()];
      return [name, z.unknown().optional()];
    }),
  ),
) as unknown as z.ZodType<ScheduleFile, Record<string, unknown>>;

/**
 * Retention of the engine's own history. `runsMaxAge` defaults to 90 days; `statusChangesMaxAge`
 * to keeping every change. `null` keeps that table whole.
 */
const positiveDuration = durationSchema.refine((ms) => ms > 0, "must be longer than zero");

export const historySchema = z.strictObject({
  runsMaxAge: positiveDuration.nullable().optional(),
  statusChangesMaxAge: positiveDuration.nullable().optional(),
  batchSize: z.number().int("must be a whole number").positive("must be positive").max(100_000, "at most 100000").optional(),
  /** How long a finished event stays on the status page and in `/status`. */
  recentEvents: durationSchema.optional(),
});

const connectionSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "letters, digits, '.', '_' or '-' (at most 64)"),
  provider: z.literal("runsignup", { error: 'unsupported provider (this runner knows "runsignup")' }),
  apiKey: secretInputSchema,
  apiSecret: secretInputSchema,
  baseUrl: z
    .string()
    .superRefine((url, ctx) => {
      // Credentials travel in RunSignUp's query string: plain http is refused except to loopback.
      try {
        checkBaseUrl(url);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        ctx.addIssue({ code: "custom", message: error.issues[0]?.message ?? error.message });
      }
    })
    .optional(),
  callsPerHour: z.number().int("must be a whole number").positive("must be positive").optional(),
  maxInFlight: z.number().int("must be a whole number").positive("must be positive").optional(),
  burst: z.number().int("must be a whole number").positive("must be positive").optional(),
  /** Tokens less urgent work leaves for the most urgent tier (a quarter of the burst by default). */
  urgentReserve: z.number().int("must be a whole number").nonnegative("must not be negative").optional(),
  budgetKey: z.string().min(1).optional(),
  /** Fetch question answers (emergency contacts, medical notes): off unless set. */
  includeQuestions: z.boolean().optional(),
  /** How much of each row's raw provider JSON is stored: "full" (default), "none", or { keep: [fields] }. */
  raw: z
    .union(
      [
        z.literal("full"),
        z.literal("none"),
        z.strictObject({ keep: z.array(z.string().min(1, "must not be empty")).min(1, 'name at least one field, or use "none"') }),
      ],
      { error: 'expected "full", "none" or { "keep": ["field", ...] }' },
    )
    .optional(),
});

/** Personal-data retention: registrations of events that ended more than `days` ago are anonymised daily. */
export const retentionSchema = z.strictObject({
  days: z.number().int("must be a whole number").positive("must be positive"),
  batchSize: z.number().int("must be a whole number").positive("must be positive").max(100_000, "at most 100000").optional(),
});

/** A duration longer than zero (the network and clock settings). */

/**
 * How the RunSignUp client uses the network (the adapter's options). Each connection has its
 * own keep-alive pool; every timeout starts once the request has a socket.
 */
export const runsignupSchema = z.strictObject({
  /** Participants per request (default and maximum 2500). */
  pageSize: z.number().int("must be a whole number").min(1, "must be at least 1").max(2500, "must be at most 2500").optional(),
  connectionsPerOrigin: z.number().int("must be a whole number").min(1, "must be at least 1").max(64, "must be at most 64").optional(),
  connectTimeout: positiveDuration.optional(),
  headersTimeout: positiveDuration.optional(),
  bodyTimeout: positiveDuration.optional(),
  maxResponseBytes: z
    .number()
    .int("must be a whole number")
    .min(1024, "must be at least 1024")
    .max(2 ** 31 - 1, "must be below 2 GiB")
    .optional(),
});

/**
 * The check of this host's clock against the database's: leases and budgets shared between
 * processes need clocks that agree. `maxSkew: null` turns it off.
 */
export const clockSchema = z.strictObject({
  maxSkew: positiveDuration.nullable().optional(),
  checkEvery: positiveDuration.optional(),
});

/**
 * Engine timing. The defaults suit production; tests and drills shorten them so a crashed
 * process's work is taken over in seconds rather than a minute.
 */
export const engineSchema = z.strictObject({
  /** How long a claimed event stays leased without a heartbeat (default 60s, at least 1s). */
  lease: durationSchema.refine((ms) => ms >= 1000, "must be at least 1s").optional(),
  /** How often the loop looks for due work (default 1s). */
  poll: positiveDuration.optional(),
});

/** The whole configuration file. */
export const configFileSchema = z
  .strictObject({
    $schema: z.string().optional(),
    database: z
      .strictObject({
        url: secretInputSchema.optional(),
        ssl: z
          .union([
            z.boolean(),
            z.strictObject({
              rejectUnauthorized: z.boolean().optional(),
              ca: z.string().min(1).optional(),
              cert: z.string().min(1).optional(),
              key: secretInputSchema.optional(),
              servername: z.string().min(1).optional(),
            }),
          ])
          .optional(),
        connectTimeout: durationSchema.optional(),
        keepAlive: z.union([z.boolean(), durationSchema.refine((ms) => ms > 0, "must be longer than zero")]).optional(),
        statementTimeout: durationSchema.optional(),
        idleInTransactionTimeout: durationSchema.optional(),
      })
      .optional(),
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, "lower-case letters, digits and '_', starting with a letter or '_'")
      .default("project88_sync"),
    connections: z.array(connectionSchema).min(1, "needs at least one connection"),
    schedule: scheduleSchema.optional(),
    retention: retentionSchema.optional(),
    history: historySchema.optional(),
    runsignup: runsignupSchema.optional(),
    clock: clockSchema.optional(),
    engine: engineSchema.optional(),
    http: z
      .strictObject({
        port: z.number().int("must be a whole number").min(0).max(65_535, "must be a port number (0 disables)").optional(),
        host: z.string().min(1).optional(),
        token: secretInputSchema.optional(),
      })
      .optional(),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.connections.forEach((connection, index) => {
      if (seen.has(connection.id)) {
        ctx.addIssue({ code: "custom", path: ["connections", index, "id"], message: `duplicate connection id "${connection.id}"` });
      }
      seen.add(connection.id);
    });
  });

/** The file as written. */
export type ConfigFileInput = z.input<typeof configFileSchema>;
/** The file after validation (durations in ms). */
export type ConfigFile = z.output<typeof configFileSchema>;
/** A secret as written in the file. */
export type SecretInput = z.output<typeof secretInputSchema>;
