/**
 * msw handlers implementing the fake RunSignUp's endpoints with the real service's quirks:
 * errors as HTTP 200 envelopes, the array-shaped participants body with rows beside (not
 * inside) `event`, removed rows inside `event.participants`, per-key visibility, inclusive
 * whole-second `modified_after_timestamp`, keyset paging and silent `results_per_page` caps.
 */
import { http, HttpResponse, type HttpHandler } from "msw";
import type { FakeDataset, FakeKey, FakeRace } from "./dataset.js";
import { firstAfter } from "./dataset.js";
import type { Malformations } from "./malformed.js";
import { participantJson, raceJson, removedJson } from "./serialize.js";
import { formatSlashDate } from "../time.js";

/**
 * How `results_per_page` applies to a CSV `event_id`: per event element (`per-element`) or to
 * all elements together (`whole-page`). No source settles which RunSignUp does, so tests run both.
 */
export type CsvPaging = "per-element" | "whole-page";

export interface HandlerOptions {
  /** Path prefix of the REST root (default `/Rest`). */
  readonly basePath?: string;
  /** Fixed, or read on every request so a running server can switch (default `per-element`). */
  readonly csvPaging?: CsvPaging | (() => CsvPaging);
}

/** Caps RunSignUp documents; a bigger `results_per_page` is silently capped. */
export const PARTICIPANTS_CAP = 2500;
export const RACES_CAP = 1000;

/** Headers the server reads back for its call log (rows served, provider error code). */
export const ROWS_HEADER = "x-fake-rows";
export const ERROR_HEADER = "x-fake-error-code";

const MESSAGES: Record<number, string> = {
  3: "Invalid parameters",
  6: "Key authentication failed",
  7: "Permission Denied",
  14: "Request throttled.",
  201: "Race not found.",
  301: "Event not found.",
};

/** RunSignUp's error envelope, sent with HTTP 200. */
export function errorEnvelope(code: number, message = MESSAGES[code] ?? "Unknown error"): Response {
  return HttpResponse.json({ error: { error_code: code, error_msg: message } }, { headers: { [ERROR_HEADER]: String(code) } });
}

function rows(body: unknown, count: number, malformed?: Malformations): Response {
  const literal = malformed?.render(body) ?? null;
  if (literal !== null) return new HttpResponse(literal, { headers: { "content-type": "application/json", [ROWS_HEADER]: String(count) } });
  return HttpResponse.json(body as never, { headers: { [ROWS_HEADER]: String(count) } });
}

/** The key a request authenticates as (query key+secret or bearer token), or null. */
export function keyOf(dataset: FakeDataset, request: Request): FakeKey | null {
  const q = new URL(request.url).searchParams;
  const auth = request.headers.get("authorization");
  const bearer = auth?.toLowerCase().startsWith("bearer ") ? auth.slice(7).trim() : null;
  return dataset.authenticate(q.get("api_key"), q.get("api_secret"), bearer);
}

function intParam(q: URLSearchParams, name: string): number | null {
  const v = q.get(name);
  return v === null || !/^\d+$/.test(v) ? null : Number(v);
}

/** Resolves key, race and visibility; an error `Response` when the call must fail. */
function access(dataset: FakeDataset, request: Request, raceIdText: string): { key: FakeKey; race: FakeRace } | Response {
  const key = keyOf(dataset, request);
  if (key === null) return errorEnvelope(6);
  const race = /^\d+$/.test(raceIdText) ? dataset.races.get(Number(raceIdText)) : undefined;
  if (race === undefined) return errorEnvelope(201);
  if (!race.keys.has(key.apiKey)) return errorEnvelope(7);
  return { key, race };
}

/** Like `access`, for a race's participant data: a key denied it gets error 7 (see the fixture). */
function participantAccess(dataset: FakeDataset, request: Request, raceIdText: string): { key: FakeKey; race: FakeRace } | Response {
  const found = access(dataset, request, raceIdText);
  if (found instanceof Response) return found;
  return found.race.deniedKeys.has(found.key.apiKey) ? errorEnvelope(7) : found;
}

/** The requested events of the race, or an error `Response` (3: none given, 301: not this race's). */
function eventsOf(race: FakeRace, q: URLSearchParams): number[] | Response {
  const csv = q.get("event_id");
  if (csv === null || csv.trim() === "") return errorEnvelope(3);
  const ids = csv.split(",").map((s) => s.trim());
  if (!ids.every((s) => /^\d+$/.test(s))) return errorEnvelope(3);
  const own = new Set(race.events.map((e) => e.eventId));
  const out = ids.map(Number);
  return out.every((id) => own.has(id)) ? out : errorEnvelope(301);
}

/** One keyset page per event, then the cap applied per element or to the whole page. */
function page<T>(
  eventIds: number[],
  listOf: (eventId: number) => readonly T[],
  idOf: (t: T) => number,
  modOf: (t: T) => number,
  q: URLSearchParams,
  mode: CsvPaging,
): T[][] {
  const limit = Math.min(intParam(q, "results_per_page") ?? 50, PARTICIPANTS_CAP);
  const after = intParam(q, "after_registration_id") ?? 0;
  const since = intParam(q, "modified_after_timestamp");
  const perEvent = eventIds.map((eventId) => {
    const list = listOf(eventId);
    const out: T[] = [];
    for (let i = firstAfter(list, after, idOf); i < list.length && out.length < limit; i++) {
      const item = list[i]!;
      // Inclusive and whole-second: "on or after" the timestamp.
      if (since === null || modOf(item) >= since) out.push(item);
    }
    return out;
  });
  if (mode === "per-element") return perEvent;
  const all = perEvent.flat().sort((a, b) => idOf(a) - idOf(b));
  if (all.length <= limit) return perEvent;
  const cutoff = idOf(all[limit - 1]!);
  return perEvent.map((items) => items.filter((t) => idOf(t) <= cutoff));
}

/** Creates the handlers over a live dataset. */
export function createRunSignupHandlers(dataset: FakeDataset, options: HandlerOptions = {}): HttpHandler[] {
  const base = options.basePath ?? "/Rest";
  const mode = (): CsvPaging => (typeof options.csvPaging === "function" ? options.csvPaging() : (options.csvPaging ?? "per-element"));

  return [
    http.get(`${base}/races`, ({ request }) => {
      const q = new URL(request.url).searchParams;
      const key = keyOf(dataset, request);
      if (key === null) return errorEnvelope(6);
      const from = q.get("start_date");
      const to = q.get("end_date");
      const dayOf = (race: FakeRace) =>
        race.events
          .map((e) => formatSlashDate(e.startsAt.getTime(), race.timezone))
          .map((d) => `${d.slice(6)}-${d.slice(0, 2)}-${d.slice(3, 5)}`);
      const visible = dataset
        .racesFor(key)
        .filter((race) => dayOf(race).some((d) => (from === null || d >= from) && (to === null || d <= to)))
        .sort(
          (a, b) => Math.min(...a.events.map((e) => +e.startsAt)) - Math.min(...b.events.map((e) => +e.startsAt)) || a.raceId - b.raceId,
        );
      const perPage = Math.min(intParam(q, "results_per_page") ?? 50, RACES_CAP);
      const pageNo = Math.max(1, intParam(q, "page") ?? 1);
      const slice = visible.slice((pageNo - 1) * perPage, pageNo * perPage);
      const served = slice.map((race) => ({ race: dataset.malformed.applyRace(race.raceId, raceJson(race, q.get("events") === "T")) }));
      return rows({ races: served }, slice.length, dataset.malformed);
    }),

    http.get(`${base}/race/:raceId`, ({ request, params }) => {
      const found = access(dataset, request, String(params.raceId));
      if (found instanceof Response) return found;
      return rows({ race: dataset.malformed.applyRace(found.race.raceId, raceJson(found.race, true)) }, 1, dataset.malformed);
    }),

    http.get(`${base}/race/:raceId/participants`, ({ request, params }) => {
      const found = participantAccess(dataset, request, String(params.raceId));
      if (found instanceof Response) return found;
      const q = new URL(request.url).searchParams;
      const eventIds = eventsOf(found.race, q);
      if (eventIds instanceof Response) return eventIds;
      const withQuestions = q.get("include_questions") === "T";
      const pages = page(
        eventIds,
        (id) => dataset.activeOf(id),
        (r) => r.registrationId,
        (r) => r.modifiedAt,
        q,
        mode(),
      );
      const body = eventIds.map((eventId, i) => {
        const items = pages[i]!;
        // The nested event.participants is always empty; an event with no rows gets no key at all.
        const element: Record<string, unknown> = { event: { event_id: eventId, participants: [] } };
        if (items.length > 0)
          element.participants = items.map((r) => dataset.malformed.applyParticipant(r.registrationId, participantJson(r, withQuestions)));
        return element;
      });
      return rows(
        body,
        pages.reduce((n, p) => n + p.length, 0),
        dataset.malformed,
      );
    }),

    http.get(`${base}/race/:raceId/removed-participants`, ({ request, params }) => {
      const found = participantAccess(dataset, request, String(params.raceId));
      if (found instanceof Response) return found;
      const q = new URL(request.url).searchParams;
      const eventIds = eventsOf(found.race, q);
      if (eventIds instanceof Response) return eventIds;
      const pages = page(
        eventIds,
        (id) => dataset.removedOf(id),
        (r) => r.registration.registrationId,
        (r) => r.modifiedAt,
        q,
        mode(),
      );
      const body = eventIds.map((eventId, i) => ({
        event: {
          event_id: eventId,
          participants: pages[i]!.map((r) => dataset.malformed.applyRemoval(r.registration.registrationId, removedJson(r))),
        },
      }));
      return rows(
        body,
        pages.reduce((n, p) => n + p.length, 0),
        dataset.malformed,
      );
    }),
  ];
}
