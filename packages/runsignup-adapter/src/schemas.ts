/**
 * zod schemas for RunSignUp's response bodies, applied once at the boundary.
 *
 * Every object is loose: fields we do not model are kept and travel on in `raw`. Only what the
 * sync cannot do without is required; a body missing it is a `SchemaError` naming the path,
 * never an empty page. Value shapes follow what recorded responses really carry (ids as numbers
 * or digit strings, `bib_num` as number, string or null, `"T"`/`"F"` flags, `"$55.00"` money).
 */
import { cleanProviderText, SchemaError } from "@project88/core";
import { z } from "zod";

/**
 * A RunSignUp id: a number in JSON, sometimes a digit string. No transforms anywhere in these
 * schemas: the parsed objects double as the verbatim `raw`, so conversion happens in map.ts.
 */
const id = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/, "expected a numeric id")]);
const optionalText = z.string().nullish();

/** RunSignUp's docs show bare objects where live responses carry arrays; accept both. */
function asArray(body: unknown): unknown {
  return Array.isArray(body) ? body : [body];
}
/** Epoch seconds, as a number or a digit string. */
const epochSeconds = z.union([z.number(), z.string().regex(/^\d+$/)]);

const address = z.looseObject({
  street: optionalText,
  city: optionalText,
  state: optionalText,
  zipcode: optionalText,
  country_code: optionalText,
});

/** `race.events[]`: start/end are wall-clock strings in the race's zone. */
export const eventSchema = z.looseObject({
  event_id: id,
  name: z.string(),
  start_time: z.string(),
  end_time: optionalText,
  race_event_days_id: id.nullish(),
});

export const raceSchema = z.looseObject({
  race_id: id,
  name: z.string(),
  timezone: optionalText,
  next_date: optionalText,
  created: optionalText,
  last_modified: optionalText,
  address: address.nullish(),
  // Events are read one by one (map.ts), so one unreadable event does not lose its race.
  events: z.array(z.unknown()).optional(),
});

/** `GET /races`: `{races:[{race:{…}}]}`; no total or "has more" field exists. */
export const raceListSchema = z.looseObject({
  // Races are read one by one (map.ts): one unreadable race is skipped, not the whole page.
  races: z.array(z.looseObject({ race: z.unknown() })),
});

/** `GET /race/:id`: `{race:{…}}`, sometimes wrapped in an array (OpenSplitTime unwraps it). */
export const raceDetailSchema = z
  .preprocess((body) => (Array.isArray(body) && body.length > 0 ? body[0] : body), z.looseObject({ race: z.unknown() }))
  .transform((body) => body.race);

const user = z.looseObject({
  user_id: id.nullish(),
  first_name: optionalText,
  middle_name: optionalText,
  last_name: optionalText,
  email: optionalText,
  address: address.nullish(),
  dob: optionalText,
  gender: optionalText,
  phone: optionalText,
});

/** One active registration. `registration_id` is the sync's key and the keyset position. */
export const participantSchema = z.looseObject({
  registration_id: id,
  event_id: id.optional(),
  user: user.nullish(),
  bib_num: z.union([z.number(), z.string()]).nullish(),
  chip_num: z.union([z.string(), z.number()]).nullish(),
  age: z.union([z.number(), z.string().regex(/^\d+$/)]).nullish(),
  registration_date: optionalText,
  last_modified: epochSeconds.nullish(),
  team_name: optionalText,
});

/**
 * `GET /race/:id/participants`: a top-level array, one element per event of a CSV `event_id`.
 * The rows sit in the element's `participants` (the nested `event.participants` is always empty,
 * a kept quirk); an element without a `participants` key is an empty page for that event.
 */
const participantsElement = z.looseObject({
  event: z.looseObject({ event_id: id }),
  // Rows are read one by one (read-rows.ts), so one bad row cannot fail the page.
  participants: z.array(z.unknown()).optional(),
});
export const participantsSchema = z.preprocess(asArray, z.array(participantsElement));

/** One removed registration; `last_modified` is an Eastern string here, the epoch is `last_modified_ts`. */
export const removedParticipantSchema = z.looseObject({
  registration_id: id,
  event_id: id.optional(),
  removed_reason: optionalText,
  new_registration_id: id.nullish(),
  registration_date: optionalText,
  last_modified: z.union([z.string(), z.number()]).nullish(),
  last_modified_ts: epochSeconds.nullish(),
  user: user.nullish(),
});

/** `GET /race/:id/removed-participants`: here the rows sit *inside* `event.participants`. */
const removedElement = z.looseObject({
  event: z.looseObject({ event_id: id, participants: z.array(z.unknown()).optional() }),
});
export const removedParticipantsSchema = z.preprocess(asArray, z.array(removedElement));

/** `{"error":{"error_code":201,"error_msg":"Race not found."}}`, sent with HTTP 200. */
export const errorEnvelopeSchema = z.looseObject({
  error: z.looseObject({
    error_code: z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]),
    error_msg: z.string().nullish(),
  }),
});

export type RaceBody = z.output<typeof raceSchema>;
export type EventBody = z.output<typeof eventSchema>;
export type ParticipantBody = z.output<typeof participantSchema>;
export type ParticipantsBody = z.output<typeof participantsSchema>;
export type RemovedParticipantBody = z.output<typeof removedParticipantSchema>;
export type RemovedParticipantsBody = z.output<typeof removedParticipantsSchema>;
export type ErrorEnvelope = z.output<typeof errorEnvelopeSchema>;

/** The provider error in a body, if it is an error envelope (bare or as an array's first element). */
export function findErrorEnvelope(body: unknown): ErrorEnvelope["error"] | null {
  const candidate = Array.isArray(body) ? body[0] : body;
  if (candidate === null || typeof candidate !== "object" || !("error" in candidate)) return null;
  const parsed = errorEnvelopeSchema.safeParse(candidate);
  return parsed.success ? parsed.data.error : null;
}

/** Renders a zod path the way a reader finds it in the body: `[0].participants[3].registration_id`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) out += typeof key === "number" ? `[${key}]` : out === "" ? String(key) : `.${String(key)}`;
  return out === "" ? "(root)" : out;
}

/**
 * Parses `body` with `schema`; a mismatch becomes a `SchemaError` whose message names `what`
 * and the first broken paths (e.g. `[runsignup] race 85675 participants: …`).
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
  const shown = issues
    .slice(0, 3)
    .map((i) => `${i.path}: ${i.message}`)
    .join("; ");
  const more = issues.length > 3 ? ` (+${issues.length - 3} more)` : "";
  throw new SchemaError(cleanProviderText(`[runsignup] ${what}: response does not match the schema: ${shown}${more}`), issues, {
    cause: result.error,
  });
}
