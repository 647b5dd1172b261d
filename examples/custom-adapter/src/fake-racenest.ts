import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { RaceNestCancellation, RaceNestEntry, RaceNestEvent } from "./racenest-api.js";
import { utcToWallClock } from "./zoned-time.js";

/** The failure the fake answers the next requests with (`forbidden`: 403, the event is not shared with the token). */
export type FakeFailure = "auth" | "forbidden" | "provider" | "rate-limited";

interface Entry {
  row: RaceNestEntry;
  eventId: string;
  cancelled: RaceNestCancellation | null;
}

/** A RaceNest on loopback, over an in-memory dataset, for tests and the example's `start`. */
export interface FakeRaceNest {
  readonly url: string;
  addToken(token: string): void;
  addEvent(input: { title: string; tz: string; races: readonly { label: string; startsAt: Date }[] }): { id: string; raceIds: string[] };
  addEntry(eventId: string, raceId: string, person: { first: string; last: string; updatedAt: Date }): string;
  modifyEntry(entryId: string, change: { last: string; at: Date }): void;
  cancelEntry(entryId: string, change: { reason: RaceNestCancellation["reason"]; at: Date }): void;
  /**
   * Serves this entry through `edit` from now on (a field of the wrong type, no `entry_id`): the
   * stored entry stays as it was, so cursors page exactly as before.
   */
  malformEntry(entryId: string, edit: (row: Record<string, unknown>) => unknown): void;
  failNext(failure: FakeFailure, count: number): void;
  requestCount(): number;
  maxInFlight(): number;
  close(): Promise<void>;
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");
const encode = (id: string) => Buffer.from(JSON.stringify({ after: id })).toString("base64url");
const decode = (cursor: string | null) =>
  cursor ? (JSON.parse(Buffer.from(cursor, "base64url").toString()) as { after: string }).after : "";
const iso = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString();

/** One cursor page of `rows` (sorted by `id`), after the cursor's id. */
function page<T>(rows: readonly T[], id: (row: T) => string, url: URL): { data: T[]; next_cursor: string | null } {
  const after = decode(url.searchParams.get("cursor"));
  const limit = Number(url.searchParams.get("limit") ?? "500");
  const rest = rows.filter((r) => id(r) > after);
  const data = rest.slice(0, limit);
  return { data, next_cursor: rest.length > limit ? encode(id(data[data.length - 1] as T)) : null };
}

export async function startFakeRaceNest(): Promise<FakeRaceNest> {
  const tokens = new Set<string>();
  const events = new Map<string, RaceNestEvent & { startsAt: Date[] }>();
  const entries = new Map<string, Entry>();
  let failure: { kind: FakeFailure; left: number } | null = null;
  const malformed = new Map<string, (row: Record<string, unknown>) => unknown>();
  let requests = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let nextEvent = 1;
  let nextRace = 1;
  let nextEntry = 1;

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };

  const feed = (url: URL, eventId: string) => {
    const races = url.searchParams.get("races")?.split(",").filter(Boolean);
    const since = url.searchParams.get("updated_since");
    const sinceMs = since ? Date.parse(since) : -Infinity;
    return [...entries.values()]
      .filter((e) => e.eventId === eventId && (!races || races.includes(e.row.race_id)))
      .sort((a, b) => a.row.entry_id.localeCompare(b.row.entry_id))
      .map((e) => ({ e, sinceMs }));
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (failure && failure.left > 0) {
      failure.left -= 1;
      if (failure.kind === "auth") return json(res, 401, { error: "invalid token" });
      if (failure.kind === "forbidden") return json(res, 403, { error: "event not shared with this token" });
      if (failure.kind === "rate-limited") return json(res, 429, { error: "slow down" }, { "retry-after": "7" });
      return json(res, 503, { error: "maintenance" });
    }
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (!token || !tokens.has(token)) return json(res, 401, { error: "invalid token" });
    if (url.pathname === "/v1/events") {
      const from = Date.parse(url.searchParams.get("starts_after") ?? "1970-01-01T00:00:00Z");
      const to = Date.parse(url.searchParams.get("starts_before") ?? "9999-01-01T00:00:00Z");
      const list = [...events.values()]
        .filter((e) => e.startsAt.some((s) => s.getTime() >= from && s.getTime() <= to))
        .map(({ startsAt: _, ...e }) => e);
      return json(
        res,
        200,
        page(list, (e) => e.id, url),
      );
    }
    const m = /^\/v1\/events\/([^/]+)\/(entries|cancellations)$/.exec(url.pathname);
    if (!m || !events.has(decodeURIComponent(m[1] ?? ""))) return json(res, 404, { error: "not found" });
    const rows = feed(url, decodeURIComponent(m[1] ?? ""));
    if (m[2] === "entries") {
      const active = rows.filter(({ e, sinceMs }) => e.cancelled === null && Date.parse(e.row.updated_at) >= sinceMs).map(({ e }) => e.row);
      const served = page(active, (r) => r.entry_id, url);
      return json(res, 200, { ...served, data: served.data.map((row) => malformed.get(row.entry_id)?.({ ...row }) ?? row) });
    }
    const gone = rows
      .filter(({ e, sinceMs }) => e.cancelled !== null && Date.parse(e.cancelled.cancelled_at) >= sinceMs)
      .map(({ e }) => e.cancelled as RaceNestCancellation);
    return json(
      res,
      200,
      page(gone, (r) => r.entry_id, url),
    );
  };

  const server = createServer((req, res) => {
    requests += 1;
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on("close", () => {
      inFlight -= 1;
    });
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    addToken: (token) => void tokens.add(token),
    addEvent(input) {
      const id = `ev_${pad(nextEvent++, 4)}`;
      const races = input.races.map((r) => ({
        id: `rc_${pad(nextRace++, 5)}`,
        label: r.label,
        start_local: utcToWallClock(r.startsAt, input.tz),
      }));
      events.set(id, { id, title: input.title, tz: input.tz, races, startsAt: input.races.map((r) => r.startsAt) });
      return { id, raceIds: races.map((r) => r.id) };
    },
    addEntry(eventId, raceId, person) {
      const id = `en_${pad(nextEntry++, 7)}`;
      entries.set(id, {
        eventId,
        cancelled: null,
        row: {
          entry_id: id,
          race_id: raceId,
          first: person.first,
          last: person.last,
          email: `${id}@example.test`,
          bib: String(nextEntry),
          updated_at: iso(person.updatedAt),
        },
      });
      return id;
    },
    modifyEntry(entryId, change) {
      const e = entries.get(entryId);
      if (e) e.row = { ...e.row, last: change.last, updated_at: iso(change.at) };
    },
    cancelEntry(entryId, change) {
      const e = entries.get(entryId);
      if (e) e.cancelled = { entry_id: entryId, race_id: e.row.race_id, reason: change.reason, cancelled_at: iso(change.at) };
    },
    malformEntry(entryId, edit) {
      malformed.set(entryId, edit);
    },
    failNext(kind, count) {
      failure = count > 0 ? { kind, left: count } : null;
    },
    requestCount: () => requests,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
