import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import {
  ConfigError,
  resolveSchedule,
  SCHEDULE_OPTION_NAMES,
  Secret,
  type ConnectionInput,
  type HistoryInput,
  type ScheduleInput,
} from "@project88/core";
import type { PgConnectionOptions } from "@project88/postgres-store";
import type { z } from "zod";
import { configFileSchema, scheduleFileKey, type ConfigFile, type SecretInput } from "./config-schema.js";

/** Where the database comes from, so the runner can say so at start. */
export type DatabaseSource = "config" | "DATABASE_URL" | "embedded";

/** The validated configuration with every secret resolved into a core `Secret`. */
export interface RunnerConfig {
  /** PostgreSQL connection string; null means the embedded PGlite database. */
  readonly databaseUrl: Secret | null;
  readonly databaseSource: DatabaseSource;
  /** PostgreSQL client settings (timeouts, TLS) from `database`; unset keys take the store's defaults. */
  readonly database: DatabaseOptions;
  readonly schema: string;
  readonly connections: readonly ConnectionInput[];
  readonly schedule: ScheduleInput;
  /** Personal-data retention; null when off (the default). */
  readonly retention: { readonly days: number; readonly batchSize?: number | undefined } | null;
  /** Retention of the engine's own history (core's defaults when the file says nothing). */
  readonly history?: HistoryInput | undefined;
  /** How long a finished event stays in status; absent is core's default (7 days). */
  readonly recentEventsMs?: number | undefined;
  /** Tier names in order of urgency (for the status page), `done` last. */
  readonly tierOrder: readonly string[];
  /** `token`, when set, is required as `Authorization: Bearer` on everything but `/healthz`. */
  readonly http: { readonly port: number; readonly host: string; readonly token: Secret | null };
  /** The engine's check of this host's clock against the database's (absent: core's defaults, 30 s and 5 min). */
  readonly clock?: { readonly maxClockSkewMs?: number | null | undefined; readonly clockCheckEveryMs?: number | undefined } | undefined;
  /** How the RunSignUp adapter uses the network (absent: the adapter's defaults). */
  readonly runsignup?: RunSignupSettings | undefined;
  /** Engine timing from `engine` (absent keys keep core's defaults). */
  readonly engine?: { readonly leaseMs?: number | undefined; readonly pollMs?: number | undefined } | undefined;
  /** Every secret of the configuration, for redaction of anything built from them. */
  readonly secrets: readonly Secret[];
}

/** `database` settings: the store's client options, with the TLS private key kept a `Secret` until the pool is made. */
export type DatabaseOptions = Omit<PgConnectionOptions, "ssl"> & {
  readonly ssl?:
    | boolean
    | {
        readonly rejectUnauthorized?: boolean | undefined;
        readonly ca?: string | undefined;
        readonly cert?: string | undefined;
        readonly key?: Secret | undefined;
        readonly servername?: string | undefined;
      }
    | undefined;
};

/** The store's client options for `database`, the key revealed (only when the pool is made). */
export function pgConnectionOptions(database: DatabaseOptions): PgConnectionOptions {
  const { ssl, ...rest } = database;
  if (typeof ssl !== "object") return { ...rest, ssl };
  const { key, ...tls } = ssl;
  return { ...rest, ssl: { ...tls, ...(key ? { key: key.reveal() } : {}) } };
}

/** The RunSignUp adapter's network options the configuration may set (`runsignup` in the file). */
export interface RunSignupSettings {
  readonly pageSize?: number | undefined;
  readonly connectionsPerOrigin?: number | undefined;
  readonly connectTimeoutMs?: number | undefined;
  readonly headersTimeoutMs?: number | undefined;
  readonly bodyTimeoutMs?: number | undefined;
  readonly maxResponseBytes?: number | undefined;
}

/** The default configuration file, relative to the working directory. */
export const DEFAULT_CONFIG_PATH = "./project88-sync.config.json";
/** Default HTTP port of the status page and metrics. */
export const DEFAULT_HTTP_PORT = 9464;
/** Default interface of the status page and metrics: this machine only. */
export const DEFAULT_HTTP_HOST = "127.0.0.1";
const DEFAULT_TIERS = ["high", "medium", "low"] as const;

/** Environment variables, as the CLI passes them in. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Formats a zod path as operators read it: `connections[1].apiSecret`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(root)" : out;
}

function issuesOf(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: "unknown key" }));
    }
    return [{ path: formatPath(issue.path), message: issue.message }];
  });
}

/** One message listing every problem, one per line, each with its path. */
function configError(source: string, issues: readonly { path: string; message: string }[]): ConfigError {
  const lines = issues.map((issue) => `  ${issue.path}: ${issue.message}`);
  return new ConfigError(`invalid configuration in ${source}:\n${lines.join("\n")}`, issues);
}

function resolveSecret(input: SecretInput, path: string, env: Env, issues: { path: string; message: string }[]): Secret {
  if (typeof input === "string") return new Secret(input);
  const value = env[input.env];
  // Name the variable, never a value: the message goes to logs and terminals.
  if (value === undefined || value === "") {
    issues.push({ path, message: `environment variable ${input.env} is not set` });
    return new Secret("");
  }
  return new Secret(value);
}

/** The file's schedule under core's names (`overlap` becomes `overlapMs`); core validates it. */
function toSchedule(file: ConfigFile["schedule"]): ScheduleInput {
  if (!file) return {};
  const values = file as Readonly<Record<string, unknown>>;
  const out: Record<string, unknown> = {};
  for (const name of SCHEDULE_OPTION_NAMES) {
    const value = values[scheduleFileKey(name)];
    if (value === undefined) continue;
    out[name] =
      name === "tiers" ? (file.tiers ?? []).map((tier) => ({ name: tier.name, withinMs: tier.within, everyMs: tier.every })) : value;
  }
  return out as ScheduleInput;
}

function toRunSignupSettings(file: ConfigFile["runsignup"]): RunSignupSettings | undefined {
  if (!file) return undefined;
  const settings: RunSignupSettings = {
    pageSize: file.pageSize,
    connectionsPerOrigin: file.connectionsPerOrigin,
    connectTimeoutMs: file.connectTimeout,
    headersTimeoutMs: file.headersTimeout,
    bodyTimeoutMs: file.bodyTimeout,
    maxResponseBytes: file.maxResponseBytes,
  };
  // Absent keys stay absent, so the adapter's defaults apply to them.
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as RunSignupSettings;
}

/** Core's path (`schedule.tiers.1.withinMs`) in the file's words (`schedule.tiers[1].within`). */
function fileSchedulePath(path: string): string {
  return formatPath(path.split(".").map((part) => (/^\d+$/.test(part) ? Number(part) : scheduleFileKey(part))));
}

/** Core's own schedule rules (tier order, widest tier last) are checked before anything starts. */
function checkSchedule(schedule: ScheduleInput, source: string): void {
  try {
    resolveSchedule(schedule);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw configError(
      source,
      error.issues.map((issue) => ({ path: fileSchedulePath(issue.path), message: issue.message })),
    );
  }
}

/** `database` settings in the store's terms; the TLS key is a secret like any other. */
function toDatabaseOptions(
  file: ConfigFile["database"],
  env: Env,
  issues: { path: string; message: string }[],
  secrets: Secret[],
): DatabaseOptions {
  if (!file) return {};
  let ssl: DatabaseOptions["ssl"];
  if (typeof file.ssl === "object") {
    const { key, ...rest } = file.ssl;
    const resolvedKey = key === undefined ? undefined : resolveSecret(key, "database.ssl.key", env, issues);
    if (resolvedKey) secrets.push(resolvedKey);
    ssl = { ...rest, ...(resolvedKey ? { key: resolvedKey } : {}) };
  } else {
    ssl = file.ssl;
  }
  return {
    ssl,
    connectionTimeoutMs: file.connectTimeout,
    keepAlive: typeof file.keepAlive === "number" ? { initialDelayMs: file.keepAlive } : file.keepAlive,
    statementTimeoutMs: file.statementTimeout,
    idleInTransactionTimeoutMs: file.idleInTransactionTimeout,
  };
}

/**
 * Validates a parsed configuration object and resolves its secrets from `env`. Every problem is
 * collected and thrown at once as a `ConfigError` whose `issues` carry the paths.
 * `DATABASE_URL` in `env` overrides `database.url`.
 */
export function parseConfig(data: unknown, options: { readonly env: Env; readonly source?: string }): RunnerConfig {
  const source = options.source ?? "configuration";
  const parsed = configFileSchema.safeParse(data, {
    // A missing key reads better as "required" than as "expected string, received undefined".
    error: (issue) => (issue.input === undefined && issue.code !== "custom" ? "required" : undefined),
  });
  if (!parsed.success) throw configError(source, issuesOf(parsed.error));
  const file = parsed.data;
  const issues: { path: string; message: string }[] = [];
  const secrets: Secret[] = [];

  const connections = file.connections.map((connection, index): ConnectionInput => {
    const apiKey = resolveSecret(connection.apiKey, `connections[${index}].apiKey`, options.env, issues);
    const apiSecret = resolveSecret(connection.apiSecret, `connections[${index}].apiSecret`, options.env, issues);
    secrets.push(apiKey, apiSecret);
    return {
      id: connection.id,
      provider: connection.provider,
      credentials: { apiKey, apiSecret },
      baseUrl: connection.baseUrl,
      callsPerHour: connection.callsPerHour,
      maxInFlight: connection.maxInFlight,
      burst: connection.burst,
      urgentReserve: connection.urgentReserve,
      budgetKey: connection.budgetKey,
      includeQuestions: connection.includeQuestions ?? false,
      raw: connection.raw ?? "full",
    };
  });

  let databaseUrl: Secret | null = null;
  let databaseSource: DatabaseSource = "embedded";
  const override = options.env.DATABASE_URL;
  if (override !== undefined && override !== "") {
    databaseUrl = new Secret(override);
    databaseSource = "DATABASE_URL";
  } else if (file.database?.url !== undefined) {
    databaseUrl = resolveSecret(file.database.url, "database.url", options.env, issues);
    databaseSource = "config";
  }
  if (databaseUrl) secrets.push(databaseUrl);
  const database = toDatabaseOptions(file.database, options.env, issues, secrets);
  const token = file.http?.token === undefined ? null : resolveSecret(file.http.token, "http.token", options.env, issues);
  if (token) secrets.push(token);
  if (issues.length > 0) throw configError(source, issues);

  const schedule = toSchedule(file.schedule);
  checkSchedule(schedule, source);
  const tierNames = schedule.tiers?.map((tier) => tier.name) ?? [...DEFAULT_TIERS];
  return {
    databaseUrl,
    databaseSource,
    schema: file.schema,
    connections,
    schedule,
    retention: file.retention ?? null,
    history: {
      ...(file.history?.runsMaxAge === undefined ? {} : { runsMaxAgeMs: file.history.runsMaxAge }),
      ...(file.history?.statusChangesMaxAge === undefined ? {} : { statusChangesMaxAgeMs: file.history.statusChangesMaxAge }),
      ...(file.history?.batchSize === undefined ? {} : { batchSize: file.history.batchSize }),
    },
    recentEventsMs: file.history?.recentEvents,
    tierOrder: [...tierNames.filter((name) => name !== "done"), "done"],
    database,
    runsignup: toRunSignupSettings(file.runsignup),
    clock: file.clock && { maxClockSkewMs: file.clock.maxSkew, clockCheckEveryMs: file.clock.checkEvery },
    engine: file.engine && { leaseMs: file.engine.lease, pollMs: file.engine.poll },
    // Loopback unless the operator opens it: the page names events and their registration counts.
    http: { port: file.http?.port ?? DEFAULT_HTTP_PORT, host: file.http?.host ?? DEFAULT_HTTP_HOST, token },
    secrets: secrets.filter((s) => s.reveal() !== ""),
  };
}

/**
 * Reads, parses and validates the configuration file at `path` (relative to `cwd`). A missing
 * file or invalid JSON is a `ConfigError` too: exit code 2, nothing started.
 */
export async function loadConfig(path: string, options: { readonly env: Env; readonly cwd: string }): Promise<RunnerConfig> {
  const full = resolve(options.cwd, path);
  let text: string;
  try {
    text = await readFile(full, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "file not found" : `cannot read the file (${code ?? "error"})`;
    throw new ConfigError(`configuration ${path}: ${why}`, [{ path, message: why }], { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const why = `not valid JSON (${(error as Error).message})`;
    throw new ConfigError(`configuration ${path}: ${why}`, [{ path, message: why }]);
  }
  return parseConfig(data, { env: options.env, source: path });
}
