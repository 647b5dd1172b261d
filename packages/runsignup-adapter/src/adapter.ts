/**
 * The RunSignUp `ProviderAdapter`: discovery over `GET /races` (+ `GET /race/:id` where the list
 * lacks what is needed), registrations and removals over keyset-paged participant feeds.
 */
import {
  ConfigError,
  ForbiddenError,
  ProviderError,
  type CallContext,
  type Connection,
  type DiscoveryWindow,
  type FetchRegistrationsArgs,
  type Page,
  type ProviderAdapter,
  type Race,
  type Registration,
  type Removal,
  type SkippedRace,
} from "@project88/core";
import { createRunSignupClient } from "./client.js";
import { PROVIDER, readParticipants, readRace, readRemovals, type RaceRead } from "./map.js";
import { resolveOptions, type RunSignupAdapterOptions } from "./options.js";
import { nextAfter } from "./paging.js";
import { compareIds, type ElementRows } from "./read-rows.js";
import { parseBody, participantsSchema, raceDetailSchema, raceListSchema, removedParticipantsSchema } from "./schemas.js";
import { toEpochSeconds } from "./time.js";

/** The RunSignUp adapter: a `ProviderAdapter` plus its defaults and a way to close its sockets. */
export interface RunSignupAdapter extends ProviderAdapter {
  readonly provider: "runsignup";
  /** Closes the keep-alive pools of one connection (removed from the engine); in-flight requests finish first. */
  closeConnection(connectionId: string): Promise<void>;
  /** Closes the keep-alive pools it opened. The adapter must not be used afterwards. */
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;
const DIGITS = /^\d+$/;

function utcDate(at: Date): string {
  return at.toISOString().slice(0, 10);
}

function checkIds(args: FetchRegistrationsArgs): void {
  const bad: { path: string; message: string }[] = [];
  if (!DIGITS.test(args.raceId)) bad.push({ path: "raceId", message: `not a RunSignUp id: "${args.raceId}"` });
  if (args.eventIds.length === 0) bad.push({ path: "eventIds", message: "at least one event id is required" });
  args.eventIds.forEach((id, i) => {
    if (!DIGITS.test(id)) bad.push({ path: `eventIds[${i}]`, message: `not a RunSignUp id: "${id}"` });
  });
  if (args.after !== undefined && !DIGITS.test(args.after)) bad.push({ path: "after", message: `not a registration id: "${args.after}"` });
  if (bad.length > 0) {
    throw new ConfigError(`[runsignup] bad fetch arguments: ${bad.map((b) => `${b.path}: ${b.message}`).join("; ")}`, bad);
  }
}

/** Creates the adapter. Throws `ConfigError` for bad options (including a non-https remote base URL). */
export function createRunSignupAdapter(options: RunSignupAdapterOptions = {}): RunSignupAdapter {
  const o = resolveOptions(options);
  const client = createRunSignupClient({
    baseUrl: o.baseUrl,
    dispatcher: o.dispatcher,
    connectTimeoutMs: o.connectTimeoutMs,
    headersTimeoutMs: o.headersTimeoutMs,
    bodyTimeoutMs: o.bodyTimeoutMs,
    connectionsPerOrigin: o.connectionsPerOrigin,
    maxResponseBytes: o.maxResponseBytes,
    userAgent: o.userAgent,
    onRequest: o.onRequest,
  });

  async function raceDetail(conn: Connection, raceId: string, window: DiscoveryWindow, ctx: CallContext): Promise<RaceRead> {
    const body = await client.get(
      conn,
      { path: `/race/${raceId}`, query: { future_events_only: "F", most_recent_events_only: "F" }, what: `race ${raceId}` },
      ctx,
    );
    const read = readRace(parseBody(raceDetailSchema, body, `race ${raceId}`), `race ${raceId}`);
    if (read.race === null) return read;
    // Get Race lists past seasons too; keep the events whose day falls in the window.
    const from = window.from.getTime() - DAY_MS;
    const to = window.to.getTime() + DAY_MS;
    const events = read.race.events.filter((e) => e.startsAt.getTime() >= from && e.startsAt.getTime() <= to);
    return { race: { ...read.race, events }, skipped: read.skipped };
  }

  async function* listRaces(conn: Connection, window: DiscoveryWindow, ctx: CallContext): AsyncIterable<Race | SkippedRace> {
    const seen = new Set<string>();
    for (let page = 1; ; page++) {
      const what = `races page ${page}`;
      const body = await client.get(
        conn,
        {
          path: "/races",
          query: {
            events: "T",
            start_date: utcDate(window.from),
            end_date: utcDate(window.to),
            results_per_page: String(o.racePageSize),
            page: String(page),
            sort: "date ASC",
          },
          what,
        },
        ctx,
      );
      const list = parseBody(raceListSchema, body, what);
      for (const [i, { race: body }] of list.races.entries()) {
        // Each race is read on its own: an unreadable one is skipped and reported, the rest go on.
        const listed = readRace(body, `${what} races[${i}].race`);
        if (listed.race === null) {
          yield* listed.skipped;
          continue;
        }
        const raceId = listed.race.raceId;
        if (seen.has(raceId)) continue; // page-number paging over a changing list may repeat
        seen.add(raceId);
        const fields = body as { events?: unknown; timezone?: unknown };
        const needsDetail = o.raceDetail === "always" || fields.events === undefined || !fields.timezone;
        let read = listed;
        if (needsDetail) {
          try {
            read = await raceDetail(conn, raceId, window, ctx);
          } catch (error) {
            // Listed but not readable with these credentials: not a race this key can sync, and
            // no reason to fail the discovery of every other race.
            if (error instanceof ForbiddenError) continue;
            throw error;
          }
        }
        yield* read.skipped;
        if (read.race !== null) yield read.race;
      }
      if (list.races.length < o.racePageSize) return;
    }
  }

  /** One keyset-paged feed; `read` turns a body into per-element rows. */
  async function* feed<Row extends { registrationId: string }>(
    conn: Connection,
    args: FetchRegistrationsArgs,
    ctx: CallContext,
    endpoint: "participants" | "removed-participants",
    read: (body: unknown, what: string) => ElementRows<Row>[],
  ): AsyncIterable<Page<Row>> {
    checkIds(args);
    let after = args.after;
    for (;;) {
      const query: Record<string, string> = {
        event_id: args.eventIds.join(","),
        sort: "registration_id ASC",
        results_per_page: String(o.pageSize),
      };
      if (after !== undefined) query.after_registration_id = after;
      // Whole seconds, rounded down: the filter is inclusive, so rows modified in the cursor's
      // own second come back rather than being lost.
      if (args.modifiedSince !== undefined) query.modified_after_timestamp = String(toEpochSeconds(args.modifiedSince));
      // Off unless asked for (the parameter is simply left out): answers hold medical notes.
      if (endpoint === "participants" && (conn.includeQuestions ?? o.includeQuestions)) query.include_questions = "T";
      const what = `race ${args.raceId} ${endpoint}`;
      const body = await client.get(conn, { path: `/race/${args.raceId}/${endpoint}`, query, what }, ctx);
      const elements = read(body, what);
      // Unreadable rows count towards an element's size: a full page stays full, so paging goes on past them.
      const next = nextAfter(
        elements.map((el) => el.rows.map((r) => r.registrationId)),
        o.pageSize,
        elements.map((el) => el.size),
      );
      if (next !== null && after !== undefined && compareIds(next, after) <= 0) {
        throw new ProviderError(`[runsignup] ${what}: paging made no progress after registration ${after}`, { retryable: false });
      }
      // Rows above `next` (from elements that were not full) come again on the next page; leaving
      // them out keeps pages disjoint, so resuming after a page yields exactly the rows after it.
      const rows = elements.flatMap((el) => el.rows).filter((r) => next === null || compareIds(r.registrationId, next) <= 0);
      rows.sort((a, b) => compareIds(a.registrationId, b.registrationId));
      const skipped = elements.flatMap((el) => el.skipped);
      yield skipped.length > 0 ? { rows, after: next, skipped } : { rows, after: next };
      if (next === null) return;
      after = next;
    }
  }

  function participantsReader(raceId: string) {
    return (body: unknown, what: string): ElementRows<Registration>[] =>
      parseBody(participantsSchema, body, what).map((el, i) =>
        readParticipants(el.participants, raceId, String(el.event.event_id), `[${i}].participants`),
      );
  }

  function removalsReader(raceId: string) {
    return (body: unknown, what: string): ElementRows<Removal>[] =>
      parseBody(removedParticipantsSchema, body, what).map((el, i) =>
        readRemovals(el.event.participants, raceId, String(el.event.event_id), `[${i}].event.participants`),
      );
  }

  return {
    provider: PROVIDER,
    pageSize: o.pageSize,
    listRaces,
    fetchRegistrations: (conn, args, ctx) => feed(conn, args, ctx, "participants", participantsReader(args.raceId)),
    fetchRemovals: (conn, args, ctx) => feed(conn, args, ctx, "removed-participants", removalsReader(args.raceId)),
    closeConnection: (connectionId) => client.closeConnection(connectionId),
    close: () => client.close(),
  };
}
