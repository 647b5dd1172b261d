/**
 * The fake RunSignUp on a real loopback HTTP server, so undici speaks real HTTP in tests (msw
 * cannot see undici's requests). A plain `node:http` server hands each request to msw's
 * `getResponse`, with per-key limits, fault injection and a call log around it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Connection } from "@project88/core";
import { getResponse } from "msw";
import { FakeDataset, type FakeKey } from "./dataset.js";
import { fakeConnection, type FakeConnectionOptions } from "./connection.js";
import { FaultController, type FakeEndpoint, type FaultKind, type FaultSpec } from "./faults.js";
import { createRunSignupHandlers, ERROR_HEADER, errorEnvelope, keyOf, ROWS_HEADER, type CsvPaging } from "./handlers.js";
import { KeyLimiter, type FakeLimits } from "./limits.js";
import { generateSeason, type FakeSeason, type SeasonOptions } from "./season.js";

/** One request the fake received. `query` never holds `api_secret`. */
export interface FakeCall {
  readonly seq: number;
  /** The fake's `now()` when the request arrived. */
  readonly at: Date;
  readonly path: string;
  readonly endpoint: FakeEndpoint;
  readonly query: Readonly<Record<string, string>>;
  /** The authenticated key's api_key, or null when credentials were wrong or missing. */
  readonly apiKey: string | null;
  readonly bearer: boolean;
  /** Which TCP connection carried the request, numbered from 1 in order of arrival. */
  readonly socket: number;
  /** Requests of this key in flight when this one arrived (itself included). */
  readonly inFlight: number;
  /** Set when the per-key limits turned the call into error 14. */
  readonly throttled: "concurrency" | "hourly" | null;
  readonly fault: FaultKind | null;
  status: number | null;
  /** The provider error code in the body (HTTP 200 envelope), if any. */
  errorCode: number | null;
  /** Rows served (participants, removals or races). */
  rows: number;
  /** Body bytes handed to the socket (for `oversize`: those written before the client hung up). */
  bytesSent: number;
  done: boolean;
}

export interface FakeServerOptions {
  /** Default 0 (any free port). */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Serve this dataset; otherwise one is generated from `season`, or an empty one. */
  readonly dataset?: FakeDataset;
  /** Options to generate a season, or a season generated beforehand (its dataset is served). */
  readonly season?: SeasonOptions | FakeSeason;
  /** The fake's clock for a dataset it creates and for the rolling-hour limit. */
  readonly now?: () => Date;
  /**
   * How far the fake's clock runs from `now` (or from the dataset's clock), in ms; negative: the
   * fake is behind. Its `Date` header, the modified timestamps of its mutations and its rolling
   * hour all follow the shifted clock, as a provider whose clock differs from the client's.
   * Default 0; assignable on the running fake (`fake.clockOffsetMs`).
   */
  readonly clockOffsetMs?: number;
  readonly csvPaging?: CsvPaging;
  readonly limits?: Partial<FakeLimits>;
  readonly faultSeed?: number;
}

/** A running fake RunSignUp. */
export interface FakeRunSignup {
  /** The REST root to use as `baseUrl`, e.g. `http://127.0.0.1:40123/Rest`. */
  readonly url: string;
  readonly origin: string;
  /** The live dataset: mutate it while the server runs. */
  readonly dataset: FakeDataset;
  /** The generated season, when the server generated one. */
  readonly season: FakeSeason | null;
  /** Every request received, in arrival order. */
  readonly calls: FakeCall[];
  readonly faults: FaultController;
  readonly limiter: KeyLimiter;
  /** The CSV paging reading in force; assignable while running. */
  csvPaging: CsvPaging;
  /** The fake clock's offset (see `FakeServerOptions.clockOffsetMs`); assignable while running. */
  clockOffsetMs: number;
  /** The fake's own clock (offset included): what its `Date` header and mutations say. */
  now(): Date;
  /** A core `Connection` for a key (or a season partner's index) pointing at this server. */
  connection(key: FakeKey | number, options?: FakeConnectionOptions): Connection;
  /** Calls of one key (by api_key). */
  callsOf(key: FakeKey): FakeCall[];
  /** The most requests one key ever had in flight. */
  maxInFlight(key?: FakeKey): number;
  /** Stops listening, drops open sockets and pending slow responses. */
  close(): Promise<void>;
}

const BASE_PATH = "/Rest";

function isSeason(value: SeasonOptions | FakeSeason): value is FakeSeason {
  return value.dataset instanceof FakeDataset && Array.isArray(value.partners) && value.partners.every((p) => typeof p === "object");
}

function endpointOf(pathname: string): FakeEndpoint {
  const rest = pathname.startsWith(BASE_PATH) ? pathname.slice(BASE_PATH.length) : pathname;
  if (rest === "/races") return "races";
  if (/^\/race\/[^/]+\/?$/.test(rest)) return "race";
  if (/^\/race\/[^/]+\/participants\/?$/.test(rest)) return "participants";
  if (/^\/race\/[^/]+\/removed-participants\/?$/.test(rest)) return "removed-participants";
  return "other";
}

function toRequest(req: IncomingMessage, origin: string): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return new Request(new URL(req.url ?? "/", origin), { method: req.method ?? "GET", headers });
}

/**
 * Writes a JSON string body of `bytes` bytes in 64 KiB chunks, waiting for the socket to drain,
 * and stops when the client hangs up. Returns the bytes handed to the socket.
 */
async function streamOversize(res: ServerResponse, bytes: number, declareLength: boolean, at: Date): Promise<number> {
  const headers: Record<string, string | number> = { "content-type": "application/json", date: at.toUTCString() };
  if (declareLength) headers["content-length"] = bytes;
  res.writeHead(200, headers);
  const chunk = Buffer.alloc(64 * 1024, "x");
  let sent = 0;
  const write = (part: Buffer) => {
    sent += part.length;
    return res.write(part);
  };
  let gone = false;
  const closed = new Promise<void>((resolve) =>
    res.once("close", () => {
      gone = true;
      resolve();
    }),
  );
  write(Buffer.from('"'));
  while (sent < bytes - 1 && !gone) {
    const part = chunk.subarray(0, Math.min(chunk.length, bytes - 1 - sent));
    if (!write(part)) await Promise.race([new Promise<void>((resolve) => res.once("drain", resolve)), closed]);
  }
  if (!gone) res.end('"');
  return gone ? sent : sent + 1;
}

/** Starts the fake on loopback. Resolve `url` and build Connections with `connection()`. */
export async function startFakeRunSignup(options: FakeServerOptions = {}): Promise<FakeRunSignup> {
  const season =
    options.season === undefined
      ? null
      : isSeason(options.season)
        ? options.season
        : generateSeason({ now: options.now, ...options.season });
  if (season !== null && options.dataset !== undefined && options.dataset !== season.dataset) {
    throw new Error("fake RunSignUp: give either a dataset or a season, not both");
  }
  const dataset = options.dataset ?? season?.dataset ?? new FakeDataset({ now: options.now });
  const settings = { csvPaging: options.csvPaging ?? ("per-element" as CsvPaging), clockOffsetMs: options.clockOffsetMs ?? 0 };
  // The fake owns its dataset's clock from here on, so mutations are stamped with the offset too.
  const datasetClock = dataset.now;
  const shifted = (at: Date) => new Date(at.getTime() + settings.clockOffsetMs);
  dataset.now = () => shifted(datasetClock.call(dataset));
  const given = options.now;
  const now = given === undefined ? () => dataset.now() : () => shifted(given());
  const handlers = createRunSignupHandlers(dataset, { basePath: BASE_PATH, csvPaging: () => settings.csvPaging });
  const limiter = new KeyLimiter(options.limits ?? {}, now);
  const faults = new FaultController(options.faultSeed);
  const calls: FakeCall[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const socketIds = new WeakMap<object, number>();
  let sockets = 0;
  let origin = "";

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = toRequest(req, origin);
    const url = new URL(request.url);
    const endpoint = endpointOf(url.pathname);
    const key = keyOf(dataset, request);
    const verdict = key === null ? null : limiter.enter(key.apiKey);
    const raceMatch = /\/race\/(\d+)/.exec(url.pathname);
    const fault = faults.take({ endpoint, apiKey: key?.apiKey ?? null, raceId: raceMatch ? Number(raceMatch[1]) : null });
    const query = Object.fromEntries([...url.searchParams].filter(([k]) => k !== "api_secret"));
    const call: FakeCall = {
      seq: calls.length + 1,
      at: now(),
      path: url.pathname,
      endpoint,
      query,
      apiKey: key?.apiKey ?? null,
      bearer: request.headers.has("authorization"),
      socket: socketIds.get(req.socket) ?? 0,
      inFlight: verdict?.inFlight ?? 1,
      throttled: verdict !== null && !verdict.allowed ? verdict.reason : null,
      fault: fault?.kind ?? null,
      status: null,
      errorCode: null,
      rows: 0,
      bytesSent: 0,
      done: false,
    };
    calls.push(call);
    res.on("close", () => {
      call.done = true;
      if (key !== null) limiter.leave(key.apiKey);
    });

    const send = async (response: Response, cut = false) => {
      let body = await response.text();
      if (cut) body = body.slice(0, Math.floor(body.length / 2));
      if (fault?.kind === "rewrite" && fault.rewrite !== undefined && response.status === 200) body = fault.rewrite(body);
      call.status = response.status;
      call.rows = Number(response.headers.get(ROWS_HEADER) ?? 0);
      const code = response.headers.get(ERROR_HEADER);
      call.errorCode = code === null ? null : Number(code);
      if (res.destroyed) return;
      const headers: Record<string, string> = {};
      response.headers.forEach((v, k) => {
        if (k !== ROWS_HEADER && k !== ERROR_HEADER && k !== "content-length") headers[k] = v;
      });
      call.bytesSent = Buffer.byteLength(body);
      res.writeHead(response.status, { ...headers, date: now().toUTCString(), "content-length": call.bytesSent });
      res.end(body);
    };

    if (call.throttled !== null) return send(errorEnvelope(14));
    if (fault !== null) {
      const handled = await applyFault(fault, req, send, res, call);
      if (handled) return;
    }
    const response = await getResponse(handlers, request, { baseUrl: origin });
    await send(
      response ?? Response.json({ error: { error_code: 1, error_msg: "Unknown method" } }, { headers: { [ERROR_HEADER]: "1" } }),
      fault?.kind === "truncated",
    );
  }

  /** Applies a fault; true when it fully answered (or killed) the request. */
  async function applyFault(
    fault: FaultSpec,
    req: IncomingMessage,
    send: (r: Response) => Promise<void>,
    res: ServerResponse,
    call: FakeCall,
  ): Promise<boolean> {
    switch (fault.kind) {
      case "oversize":
        call.status = 200;
        call.bytesSent = await streamOversize(res, fault.bytes ?? 20 * 1024 * 1024, fault.declareLength === true, now());
        return true;
      case "reset":
        req.socket.destroy();
        return true;
      case "http500":
      case "http502":
      case "http503":
        await send(Response.json({ message: "upstream failure" }, { status: Number(fault.kind.slice(4)) }));
        return true;
      case "html502":
      case "http200-html": {
        const html =
          "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
        await send(new Response(html, { status: fault.kind === "html502" ? 502 : 200, headers: { "content-type": "text/html" } }));
        return true;
      }
      case "http429":
        await send(
          Response.json(
            { message: "Too Many Requests" },
            { status: 429, headers: { "retry-after": String(fault.retryAfterSeconds ?? 7) } },
          ),
        );
        return true;
      case "throttle": {
        const response = errorEnvelope(14);
        if (fault.retryAfterSeconds !== undefined) response.headers.set("retry-after", String(fault.retryAfterSeconds));
        await send(response);
        return true;
      }
      case "error":
        await send(errorEnvelope(fault.code ?? 4, fault.message));
        return true;
      case "slow":
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            timers.delete(t);
            resolve();
          }, fault.delayMs ?? 5000);
          timers.add(t);
        });
        return false;
      case "truncated":
      case "rewrite":
        return false;
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(`fake RunSignUp failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
  });
  server.on("connection", (socket) => socketIds.set(socket, ++sockets));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  origin = `http://${host}:${address.port}`;
  const url = `${origin}${BASE_PATH}`;

  return {
    url,
    origin,
    dataset,
    season,
    calls,
    faults,
    limiter,
    get csvPaging() {
      return settings.csvPaging;
    },
    set csvPaging(mode: CsvPaging) {
      settings.csvPaging = mode;
    },
    get clockOffsetMs() {
      return settings.clockOffsetMs;
    },
    set clockOffsetMs(ms: number) {
      settings.clockOffsetMs = ms;
    },
    now,
    connection(key, connectionOptions) {
      const k = typeof key === "number" ? season?.partners[key]?.key : key;
      if (k === undefined) throw new Error(`fake RunSignUp: no season partner ${String(key)}`);
      return fakeConnection(k, url, connectionOptions);
    },
    callsOf: (key) => calls.filter((c) => c.apiKey === key.apiKey),
    maxInFlight: (key) => calls.filter((c) => key === undefined || c.apiKey === key.apiKey).reduce((m, c) => Math.max(m, c.inFlight), 0),
    close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
