import { z } from "zod";

/**
 * RaceNest's REST API (made up for this example). Its nesting is the other way round from
 * RunSignUp's: a RaceNest **event** is the race day (our core `Race`) and contains **races**,
 * the starts (our core `Event`s). Every list pages by an opaque `next_cursor`.
 *
 * - `GET /v1/events?starts_after=ISO&starts_before=ISO&limit=N&cursor=C`
 * - `GET /v1/events/:eventId/entries?races=ID,ID&updated_since=ISO&limit=N&cursor=C`
 * - `GET /v1/events/:eventId/cancellations?races=ID,ID&updated_since=ISO&limit=N&cursor=C`
 *
 * Auth: `Authorization: Bearer <token>`. Errors: 401 bad token, 404 unknown event, 429 with
 * `Retry-After` (seconds), 5xx.
 */

/** The provider name everything the adapter returns carries. */
export const PROVIDER = "racenest";

export const raceSchema = z.object({
  id: z.string(),
  label: z.string(),
  /** Wall-clock start in the event's zone, `YYYY-MM-DDTHH:MM`. */
  start_local: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/),
});

export const eventSchema = z.object({
  id: z.string(),
  title: z.string(),
  tz: z.string(),
  races: z.array(raceSchema),
});

export const entrySchema = z.object({
  entry_id: z.string(),
  race_id: z.string(),
  first: z.string().nullable(),
  last: z.string().nullable(),
  email: z.string().nullable(),
  bib: z.string().nullable(),
  /** UTC instant, whole seconds. */
  updated_at: z.string(),
});

export const cancellationSchema = z.object({
  entry_id: z.string(),
  race_id: z.string(),
  reason: z.enum(["refund", "deferral", "admin_clear"]),
  cancelled_at: z.string(),
});

/** Every list answer: one page and the cursor of the next (null on the last page). */
export const pageOf = <T extends z.ZodType>(row: T) => z.object({ data: z.array(row), next_cursor: z.string().nullable() });

export type RaceNestEvent = z.infer<typeof eventSchema>;
export type RaceNestRace = z.infer<typeof raceSchema>;
export type RaceNestEntry = z.infer<typeof entrySchema>;
export type RaceNestCancellation = z.infer<typeof cancellationSchema>;
