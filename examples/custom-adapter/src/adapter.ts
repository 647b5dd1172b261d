import {
  AbortedError,
  AuthError,
  ConfigError,
  ForbiddenError,
  NotFoundError,
  ProviderError,
  RateLimitedError,
  SchemaError,
  type CallContext,
  type Connection,
  type DiscoveryWindow,
  type FetchRegistrationsArgs,
  type ProviderAdapter,
  type Race,
  type RegistrationPage,
  type RemovalPage,
  type RemovalReason,
} from "@project88/core";
import { z } from "zod";
import { cancellationSchema, eventSchema, pageOf, PROVIDER, type RaceNestEvent } from "./racenest-api.js";
import { readEntry } from "./read-entry.js";
import { wallClockToUtc } from "./zoned-time.js";

export { PROVIDER } from "./racenest-api.js";

export interface RaceNestAdapterOptions {
  /** API root (default `https://api.racenest.example`); a connection's `baseUrl` overrides it. */
  readonly baseUrl?: string;
  /** Rows per page (default 500, RaceNest's maximum). */
  readonly pageSize?: number;
  /** Deadline of one request (default 30 s). */
  readonly timeoutMs?: number;
}

const REASONS: Readonly<Record<z.infer<typeof cancellationSchema>["reason"], RemovalReason>> = {
  refund: "removed",
  deferral: "deferred",
  admin_clear: "cleared",
};

/** RaceNest's event is our race; its races are our events, with starts converted to UTC here. */
function toRace(event: RaceNestEvent): Race {
  const events = event.races.map((r) => ({
    provider: PROVIDER,
    eventId: r.id,
    raceId: event.id,
    name: r.label,
    startsAt: wallClockToUtc(r.start_local, event.tz),
    endsAt: null,
    raw: r,
  }));
  const first = [...event.races].sort((a, b) => a.start_local.localeCompare(b.start_local))[0];
  return {
    provider: PROVIDER,
    raceId: event.id,
    name: event.title,
    timezone: event.tz,
    nextDate: first?.start_local.slice(0, 10) ?? null,
    raw: event,
    events,
  };
}

/**
 * A `ProviderAdapter` for RaceNest. Each request: check the signal, take a budget slot, send,
 * read the body, give the slot back; then map the status to a typed error or validate the body.
 */
export function createRaceNestAdapter(options: RaceNestAdapterOptions = {}): ProviderAdapter {
  const pageSize = options.pageSize ?? 500;
  const timeoutMs = options.timeoutMs ?? 30_000;

  async function get<T extends z.ZodType>(
    conn: Connection,
    path: string,
    query: Record<string, string | undefined>,
    schema: T,
    what: string,
    ctx: CallContext,
    raceId: string | null = null,
  ): Promise<z.infer<T>> {
    if (ctx.signal.aborted) throw new AbortedError(`[racenest] ${what}: aborted`);
    const token = conn.credentials.token;
    if (!token)
      throw new ConfigError(`[racenest] connection ${conn.id}: credentials need a token`, [
        { path: `connections.${conn.id}.credentials.token`, message: "required" },
      ]);
    const url = new URL(`${(conn.baseUrl ?? options.baseUrl ?? "https://api.racenest.example").replace(/\/+$/, "")}${path}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    const slot = await ctx.budget.acquire(ctx.signal);
    let status: number;
    let body: string;
    let retryAfter: string | null;
    try {
      // The token travels in a header, never in the URL, so URLs are safe in errors and logs.
      const res = await fetch(url, {
        headers: { authorization: `Bearer ${token.reveal()}`, accept: "application/json" },
        signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]),
      });
      status = res.status;
      retryAfter = res.headers.get("retry-after");
      // The provider's clock, so the engine keeps cursors behind it if this host runs ahead.
      const date = res.headers.get("date");
      if (date !== null && !Number.isNaN(Date.parse(date))) ctx.observeServerTime?.(new Date(date));
      body = await res.text();
    } catch (error) {
      if (ctx.signal.aborted) throw new AbortedError(`[racenest] ${what}: aborted`, { cause: error });
      throw new ProviderError(`[racenest] ${what}: ${(error as Error).message}`, { cause: error });
    } finally {
      slot.release();
    }
    // 403 on one event's lists: the token works, but this event is not shared with it. The engine
    // marks that link forbidden and syncs the event through another connection that sees it.
    if (status === 403 && raceId !== null)
      throw new ForbiddenError(`[racenest] ${what}: HTTP 403, event not shared with this token`, raceId);
    if (status === 401 || status === 403) throw new AuthError(`[racenest] ${what}: HTTP ${status}, token rejected`);
    if (status === 429) throw new RateLimitedError(`[racenest] ${what}: HTTP 429`, retryAfter ? Number(retryAfter) * 1000 : null);
    if (status === 404) throw new NotFoundError(`[racenest] ${what}: not found`);
    if (status < 200 || status >= 300) throw new ProviderError(`[racenest] ${what}: HTTP ${status}`, { httpStatus: status });
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch (error) {
      throw new SchemaError(`[racenest] ${what}: the body is not JSON`, [], { cause: error });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
      throw new SchemaError(`[racenest] ${what}: unexpected response (${issues[0]?.path}: ${issues[0]?.message})`, issues);
    }
    return parsed.data;
  }

  /** Follows `next_cursor` from `after`; each page's cursor is the resume token the engine stores. */
  async function* pages<T extends z.ZodType>(
    conn: Connection,
    path: string,
    query: Record<string, string | undefined>,
    row: T,
    what: string,
    ctx: CallContext,
    raceId: string | null,
    after?: string,
  ) {
    let cursor = after;
    for (;;) {
      const page = await get(conn, path, { ...query, limit: String(pageSize), cursor }, pageOf(row), what, ctx, raceId);
      yield { rows: page.data as z.infer<T>[], after: page.next_cursor };
      if (page.next_cursor === null) return;
      cursor = page.next_cursor;
    }
  }

  const feedQuery = (args: FetchRegistrationsArgs) => ({
    races: args.eventIds.join(","),
    updated_since: args.modifiedSince?.toISOString(),
  });

  return {
    provider: PROVIDER,

    async *listRaces(conn: Connection, window: DiscoveryWindow, ctx: CallContext): AsyncIterable<Race> {
      const query = { starts_after: window.from.toISOString(), starts_before: window.to.toISOString() };
      for await (const page of pages(conn, "/v1/events", query, eventSchema, "events", ctx, null)) {
        for (const event of page.rows) yield toRace(event);
      }
    },

    async *fetchRegistrations(conn: Connection, args: FetchRegistrationsArgs, ctx: CallContext): AsyncIterable<RegistrationPage> {
      const what = `event ${args.raceId} entries`;
      for await (const page of pages(
        conn,
        `/v1/events/${encodeURIComponent(args.raceId)}/entries`,
        feedQuery(args),
        // Entries are read one by one (readEntry), so the page schema takes any row.
        z.unknown(),
        what,
        ctx,
        args.raceId,
        args.after,
      )) {
        const read = page.rows.map((json) => readEntry(json, args.raceId));
        const skipped = read.flatMap((r) => ("skipped" in r ? [r.skipped] : []));
        yield {
          after: page.after,
          rows: read.flatMap((r) => ("row" in r ? [r.row] : [])),
          ...(skipped.length > 0 ? { skipped } : {}),
        };
      }
    },

    async *fetchRemovals(conn: Connection, args: FetchRegistrationsArgs, ctx: CallContext): AsyncIterable<RemovalPage> {
      const what = `event ${args.raceId} cancellations`;
      for await (const page of pages(
        conn,
        `/v1/events/${encodeURIComponent(args.raceId)}/cancellations`,
        feedQuery(args),
        cancellationSchema,
        what,
        ctx,
        args.raceId,
        args.after,
      )) {
        yield {
          after: page.after,
          rows: page.rows.map((c) => ({
            provider: PROVIDER,
            registrationId: c.entry_id,
            raceId: args.raceId,
            eventId: c.race_id,
            reason: REASONS[c.reason],
            newRegistrationId: null,
            modifiedAt: new Date(c.cancelled_at),
            raw: c,
          })),
        };
      }
    },
  };
}
