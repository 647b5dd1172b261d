import { z } from "zod";

/**
 * The schedule options, written once: this zod schema is the source of the engine's input type
 * (`ScheduleInput`), its resolved type (`ResolvedSchedule`) and the runner's configuration keys
 * (`SCHEDULE_OPTION_NAMES`, durations spelt without their `Ms`).
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The name of the pseudo-tier an event enters once syncing has stopped after its start. */
export const DONE_TIER = "done";

const positiveMs = z.number().int().positive({ message: "must be longer than zero" });
const nonNegativeMs = z.number().int().nonnegative({ message: "must not be negative" });

const tierSchema = z.object({
  name: z
    .string()
    .min(1)
    .refine((n) => n !== DONE_TIER, { message: `"${DONE_TIER}" is reserved` }),
  /** The tier applies when the start is at most this far ahead (ms). The widest tier may omit it. */
  withinMs: positiveMs.optional(),
  /** Sync every this many ms while in the tier. */
  everyMs: positiveMs,
});

const DEFAULT_TIERS = [
  { name: "high", withinMs: 4 * HOUR, everyMs: MINUTE },
  { name: "medium", withinMs: 24 * HOUR, everyMs: 15 * MINUTE },
  { name: "low", everyMs: 240 * MINUTE },
];

const scheduleShape = {
  /** Tiers, most urgent first (high: within 4 h, every 1 min; medium: 24 h, 15 min; low: 240 min). */
  tiers: z.array(tierSchema).min(1).default(DEFAULT_TIERS),
  /** Syncing stops this long after the start; then one final reconciliation (1 h). */
  stopAfterStartMs: nonNegativeMs.default(HOUR),
  /** UTC times of day discovery runs at, `HH:MM` (["06:00", "18:00"]). */
  discoveryTimes: z
    .array(z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: "expected HH:MM (UTC)" }))
    .min(1)
    .default(["06:00", "18:00"]),
  /** Discovery lists races from `now - discoveryLookBehindMs` (1 day)... */
  discoveryLookBehindMs: nonNegativeMs.default(DAY),
  /** ...to `now + discoveryLookAheadMs` (365 days). */
  discoveryLookAheadMs: positiveMs.default(365 * DAY),
  /** Subtracted from the cursor for `modifiedSince` (60 s). */
  overlapMs: nonNegativeMs.default(MINUTE),
  /**
   * The removal feed runs with every pass within this long of the start whatever the budget
   * (0: none; the budget decides, see `removalsEveryMs`)...
   */
  removalsEveryPassWithinMs: nonNegativeMs.default(0),
  /**
   * ...and otherwise at least this often (15 min). Between those reads it runs with a pass while
   * the connection's budget has room (`removalsWithRoom`), and with a pass that inserted
   * registrations (a transfer is a new registration plus a removal) unless it read the race whole.
   */
  removalsEveryMs: positiveMs.default(15 * MINUTE),
  /** Read the removal feed with every pass while the connection's budget has room (true). */
  removalsWithRoom: z.boolean().default(true),
  /**
   * A race read whole (`wholePullMaxRows`) shows its removals at once, as `vanished`; the removal
   * feed only adds their reasons (refunded, transferred and to whom), and the registrations made
   * and removed between two pulls, which no pull sees. While the budget binds it reads the feed
   * this often (60 min) instead of `removalsEveryMs`: the calls go to news first (a transfer's
   * new registration is news, and shows at once). With room to spare it reads it when it finds
   * someone missing, and at `removalsEveryMs`.
   */
  removalReasonsEveryMs: positiveMs.default(60 * MINUTE),
  /**
   * A race whose due events hold at most this many active registrations, and that fits in one
   * page of its adapter (`ProviderAdapter.pageSize`), is read whole on every pass (2,000; 0: never).
   */
  wholePullMaxRows: z.number().int().nonnegative().default(2000),
  /** Daily reconciliation applies to events starting within this long (7 days)... */
  reconcileWithinMs: nonNegativeMs.default(7 * DAY),
  /** ...every `reconcileEveryMs` (24 h). */
  reconcileEveryMs: positiveMs.default(DAY),
  /** A reconciliation that would mark more than this share of an event's registrations vanished is refused (0.2). */
  maxVanishShare: z.number().min(0).max(1).default(0.2),
  /** Backoff after failures: base (30 s)... */
  backoffBaseMs: positiveMs.default(30_000),
  /** ...and cap (30 min), with full jitter. */
  backoffMaxMs: positiveMs.default(30 * MINUTE),
};

export const scheduleSchema = z.object(scheduleShape).superRefine((s, ctx) => {
  const names = new Set<string>();
  s.tiers.forEach((tier, i) => {
    if (names.has(tier.name)) ctx.addIssue({ code: "custom", path: ["tiers", i, "name"], message: "duplicate tier name" });
    names.add(tier.name);
    const last = i === s.tiers.length - 1;
    if (tier.withinMs === undefined && !last) {
      ctx.addIssue({ code: "custom", path: ["tiers", i, "withinMs"], message: "only the last (widest) tier may omit withinMs" });
    }
    const prev = s.tiers[i - 1]?.withinMs;
    if (i > 0 && tier.withinMs !== undefined && prev !== undefined && tier.withinMs <= prev) {
      ctx.addIssue({
        code: "custom",
        path: ["tiers", i, "withinMs"],
        message: "tiers must be ordered most urgent first (withinMs increasing)",
      });
    }
  });
  if (s.backoffMaxMs < s.backoffBaseMs) {
    ctx.addIssue({ code: "custom", path: ["backoffMaxMs"], message: "must be at least backoffBaseMs" });
  }
});

/** Arrays in an input type accept readonly arrays too (a caller's constants). */
type ReadonlyArrays<T> = {
  readonly [K in keyof T]: T[K] extends (infer E)[] | undefined ? readonly ReadonlyArrays<E>[] | undefined : T[K];
};

/** One scheduling tier: applies while the time until the start is at most `withinMs`. */
export type TierInput = ReadonlyArrays<z.input<typeof tierSchema>>;

/**
 * Schedule options (all optional; defaults in parentheses). Validated once with zod; a bad value
 * is a `ConfigError` naming its path.
 */
export type ScheduleInput = ReadonlyArrays<z.input<typeof scheduleSchema>>;

/** Schedule options with every default applied. */
export type ResolvedSchedule = z.output<typeof scheduleSchema>;

/** A resolved tier. */
export type ResolvedTier = ResolvedSchedule["tiers"][number];

/** The schedule's option names, for front ends that spell them their own way (the runner's file). */
export const SCHEDULE_OPTION_NAMES = Object.keys(scheduleShape) as readonly (keyof ScheduleInput)[];
