import { z } from "zod";
import type { ProviderAdapter } from "./adapter.js";
import { systemClock, type Clock } from "./clock.js";
import type { ConnectionInput, SyncEngineOptions } from "./engine-types.js";
import { credentialBudgetKey } from "./credential-key.js";
import { ConfigError } from "./errors.js";
import { Secret } from "./secret.js";
import type { SyncStore } from "./store.js";
import { DONE_TIER, scheduleSchema, type ResolvedSchedule, type ResolvedTier } from "./schedule-schema.js";
import type { Connection, RawPolicy } from "./types.js";

export { DONE_TIER, type ResolvedSchedule, type ResolvedTier };

const isAdapter = (v: unknown): v is ProviderAdapter =>
  typeof v === "object" &&
  v !== null &&
  typeof (v as ProviderAdapter).provider === "string" &&
  typeof (v as ProviderAdapter).listRaces === "function" &&
  typeof (v as ProviderAdapter).fetchRegistrations === "function" &&
  typeof (v as ProviderAdapter).fetchRemovals === "function";

const isStore = (v: unknown): v is SyncStore =>
  typeof v === "object" &&
  v !== null &&
  typeof (v as SyncStore).claimDue === "function" &&
  typeof (v as SyncStore).commitPage === "function";

const isClock = (v: unknown): v is Clock =>
  typeof v === "object" && v !== null && typeof (v as Clock).now === "function" && typeof (v as Clock).setTimeout === "function";

const connectionSchema = z
  .object({
    id: z.string().min(1),
    provider: z.string().min(1),
    credentials: z.record(z.string(), z.instanceof(Secret, { message: "credential values must be Secret instances" })),
    baseUrl: z.string().url().optional(),
    budgetKey: z.string().min(1).optional(),
    callsPerHour: z.number().int().positive().default(1000),
    maxInFlight: z.number().int().positive().default(2),
    burst: z.number().int().positive().default(20),
    /**
     * Tokens less urgent work leaves in the bucket for the most urgent tier (default a quarter
     * of the burst, 5): when the budget binds, race morning gets every call.
     */
    urgentReserve: z.number().int().nonnegative().optional(),
    includeQuestions: z.boolean().default(false),
    raw: z
      .union([
        z.literal("full"),
        z.literal("none"),
        z.strictObject({ keep: z.array(z.string().min(1)).min(1, { message: 'name at least one field, or use "none"' }) }),
      ])
      .default("full"),
  })
  .superRefine((c, ctx) => {
    if (c.burst > c.callsPerHour) ctx.addIssue({ code: "custom", path: ["burst"], message: "must not exceed callsPerHour" });
    if (c.urgentReserve !== undefined && c.urgentReserve >= c.burst)
      ctx.addIssue({ code: "custom", path: ["urgentReserve"], message: "must be less than burst" });
  });

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const positiveMs = z.number().int().positive();

/** Retention of the engine's own history (`sync_runs`, `registration_status_changes`). */
const historySchema = z.object({
  /** Finished runs older than this are pruned; null keeps them all. */
  runsMaxAgeMs: positiveMs.nullable().default(90 * DAY_MS),
  /** Status changes older than this are pruned; null (the default) keeps them all. */
  statusChangesMaxAgeMs: positiveMs.nullable().default(null),
  /** Rows of each table one prune deletes, so a prune never holds locks for long. */
  batchSize: z.number().int().positive().max(100_000).default(500),
  /** How often the running engine prunes once nothing is left over from the last prune. */
  everyMs: positiveMs.default(HOUR_MS),
});

const optionsSchema = z.object({
  adapters: z.array(z.custom<ProviderAdapter>(isAdapter, { message: "expected a ProviderAdapter" })).min(1),
  store: z.custom<SyncStore>(isStore, { message: "expected a SyncStore" }),
  connections: z.array(connectionSchema).min(1),
  schedule: scheduleSchema.default(() => scheduleSchema.parse({})),
  clock: z.custom<Clock>(isClock, { message: "expected a Clock" }).optional(),
  owner: z.string().min(1).optional(),
  leaseMs: z.number().int().min(1000).default(60_000),
  pollMs: z.number().int().positive().default(1000),
  random: z.custom<() => number>((v) => typeof v === "function", { message: "expected a function" }).optional(),
  retention: z
    .strictObject({
      days: z.number().int().positive(),
      batchSize: z.number().int().positive().max(100_000).default(1000),
    })
    .optional(),
  maxClockSkewMs: z.number().int().positive().nullable().default(30_000),
  clockCheckEveryMs: z.number().int().positive().default(300_000),
  recentEventsMs: z
    .number()
    .int()
    .nonnegative()
    .default(7 * DAY_MS),
  history: historySchema.default(() => historySchema.parse({})),
});

/**
 * Checks across fields (a connection's provider needs an adapter; ids are unique), run on the raw
 * input even when other fields are invalid, so one error lists every problem at once.
 */
function crossIssues(input: SyncEngineOptions): { path: string; message: string }[] {
  const adapters: readonly unknown[] = Array.isArray(input?.adapters) ? input.adapters : [];
  const providers = new Set(adapters.filter(isAdapter).map((a) => a.provider));
  return connectionIssues(input?.connections, providers);
}

function connectionIssues(list: unknown, providers: ReadonlySet<string>): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  const connections: readonly unknown[] = Array.isArray(list) ? list : [];
  const ids = new Set<string>();
  connections.forEach((c, i) => {
    if (typeof c !== "object" || c === null) return;
    const { id, provider } = c as { id?: unknown; provider?: unknown };
    if (typeof id === "string") {
      if (ids.has(id)) issues.push({ path: `connections.${i}.id`, message: "duplicate connection id" });
      ids.add(id);
    }
    if (typeof provider === "string" && !providers.has(provider))
      issues.push({ path: `connections.${i}.provider`, message: `no adapter for provider "${provider}"` });
  });
  return issues;
}

/** A connection with its budget and privacy fields resolved (burst, raw policy, questions). */
export type ResolvedConnection = Connection & {
  readonly burst: number;
  readonly urgentReserve: number;
  readonly raw: RawPolicy;
  readonly includeQuestions: boolean;
};

/** Retention: registrations of events that ended more than `days` ago are anonymised, `batchSize` rows per transaction. */
export interface ResolvedRetention {
  readonly days: number;
  readonly batchSize: number;
}
/** History retention with every default applied. */
export type ResolvedHistory = z.output<typeof historySchema>;

/** Engine options after validation: what the engine works with; hot paths never re-validate. */
export interface ResolvedOptions {
  readonly adapters: ReadonlyMap<string, ProviderAdapter>;
  readonly store: SyncStore;
  /** Replaced as a whole (never mutated) by `setConnections`; read it at the time of use. */
  connections: readonly ResolvedConnection[];
  readonly schedule: ResolvedSchedule;
  readonly retention: ResolvedRetention | null;
  readonly clock: Clock;
  readonly owner: string;
  readonly leaseMs: number;
  readonly pollMs: number;
  readonly random: () => number;
  /** Null: the database clock is never compared. */
  readonly maxClockSkewMs: number | null;
  readonly clockCheckEveryMs: number;
  /** How long a finished event stays in the working set that status shows. */
  readonly recentEventsMs: number;
  readonly history: ResolvedHistory;
}

/** Validates schedule options alone (used by `plan` tooling and tests). */
export function resolveSchedule(input: unknown = {}): ResolvedSchedule {
  const parsed = scheduleSchema.safeParse(input ?? {});
  if (!parsed.success) throw toConfigError(parsed.error.issues, ["schedule"]);
  return parsed.data;
}

/**
 * Validates engine options once. A failure is a `ConfigError` whose message and `issues` list
 * every bad path (`connections.0.callsPerHour: ...`).
 */
export function resolveOptions(input: SyncEngineOptions): ResolvedOptions {
  const parsed = optionsSchema.safeParse(input);
  const cross = crossIssues(input);
  if (!parsed.success || cross.length > 0) throw toConfigError(parsed.success ? [] : parsed.error.issues, [], cross);
  const o = parsed.data;
  return {
    adapters: new Map(o.adapters.map((a) => [a.provider, a])),
    store: o.store,
    connections: o.connections.map(toResolvedConnection),
    schedule: o.schedule,
    retention: o.retention ?? null,
    clock: o.clock ?? systemClock,
    owner: o.owner ?? defaultOwner(),
    leaseMs: o.leaseMs,
    pollMs: o.pollMs,
    random: o.random ?? Math.random,
    maxClockSkewMs: o.maxClockSkewMs,
    clockCheckEveryMs: o.clockCheckEveryMs,
    recentEventsMs: o.recentEventsMs,
    history: o.history,
  };
}

function toResolvedConnection(c: z.output<typeof connectionSchema>): ResolvedConnection {
  return {
    id: c.id,
    provider: c.provider,
    credentials: c.credentials,
    baseUrl: c.baseUrl,
    // By default the credential itself is the key: one real key under two ids shares a budget.
    budgetKey: c.budgetKey ?? credentialBudgetKey(c.provider, c.credentials),
    callsPerHour: c.callsPerHour,
    maxInFlight: c.maxInFlight,
    burst: c.burst,
    urgentReserve: c.urgentReserve ?? Math.floor(c.burst / 4),
    includeQuestions: c.includeQuestions,
    raw: c.raw,
  };
}

/**
 * Validates a new list of connections against the engine's adapters (`setConnections`). A
 * failure is a `ConfigError` whose issues name each bad path (`connections.1.provider`).
 */
export function resolveConnections(input: readonly ConnectionInput[], providers: ReadonlySet<string>): ResolvedConnection[] {
  const parsed = z.array(connectionSchema).safeParse(input);
  const cross = connectionIssues(input, providers);
  if (!parsed.success || cross.length > 0) {
    const issues = (parsed.success ? [] : parsed.error.issues).map((i) => ({
      path: ["connections", ...i.path].map(String).join("."),
      message: i.message,
    }));
    const all = [...issues, ...cross];
    throw new ConfigError(`[core] invalid connections: ${all.map((i) => `${i.path}: ${i.message}`).join("; ")}`, all);
  }
  return parsed.data.map(toResolvedConnection);
}

function toConfigError(
  zodIssues: readonly z.core.$ZodIssue[],
  prefix: readonly (string | number)[],
  extra: readonly { path: string; message: string }[] = [],
): ConfigError {
  const issues = [
    ...zodIssues.map((issue) => ({
      path: [...prefix, ...issue.path].map(String).join(".") || "(root)",
      message: issue.message,
    })),
    ...extra,
  ];
  const list = issues.map((i) => `${i.path}: ${i.message}`).join("; ");
  return new ConfigError(`[core] invalid engine options: ${list}`, issues);
}

function defaultOwner(): string {
  // Core has no I/O of its own; the pid and a random suffix are enough to tell processes apart.
  const pid = typeof process === "object" ? process.pid : 0;
  return `engine:${pid}:${Math.random().toString(36).slice(2, 10)}`;
}
