/**
 * The RunSignUp HTTP client: undici with a keep-alive Pool per connection and origin, timeouts
 * that start when the request is on the wire, the engine's AbortSignal honoured, every request
 * charged to the connection's budget first, bodies read up to a size limit, the provider's clock
 * reported from each `Date` header, and credentials revealed only where the URL is built and
 * redacted from everything it reports.
 */
import {
  AbortedError,
  ConfigError,
  redact,
  SyncError,
  type BudgetSlot,
  type CallContext,
  type Connection,
  type Secret,
} from "@project88/core";
import { request, type Dispatcher } from "undici";
import { checkBaseUrl } from "./base-url.js";
import {
  errorForHttpStatus,
  errorForNetworkFailure,
  errorForProviderCode,
  garbageBodyError,
  parseRetryAfter,
  timeoutError,
} from "./error-map.js";
import { parseJsonExact } from "./json.js";
import { createConnectionPools } from "./pools.js";
import { readBodyText } from "./read-body.js";
import { findErrorEnvelope } from "./schemas.js";

/** What the client reports about each request it finished (the URL is already redacted). */
export interface RequestInfo {
  readonly connectionId: string;
  readonly method: "GET";
  readonly url: string;
  readonly status: number | null;
  readonly durationMs: number;
  readonly error: string | null;
}

export interface ClientOptions {
  readonly baseUrl: string;
  readonly dispatcher?: Dispatcher | undefined;
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  /** Sockets of each connection's pool; absent: the connection's `maxInFlight`. */
  readonly connectionsPerOrigin?: number | undefined;
  readonly maxResponseBytes: number;
  readonly userAgent: string;
  readonly onRequest?: ((info: RequestInfo) => void) | undefined;
}

/** The race a request is about (`/race/85675/participants` → `85675`), or null (`/races`). */
function raceOf(path: string): string | null {
  return /^\/race\/([^/?]+)/i.exec(path)?.[1] ?? null;
}

/** One GET: a path under the base URL, its parameters, and a name for messages. */
export interface ClientRequest {
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** Names the call in messages: `race 85675 participants`. */
  readonly what: string;
}

export interface RunSignupClient {
  /** Sends the request and returns the parsed JSON body, or throws a typed `SyncError`. */
  get(conn: Connection, req: ClientRequest, ctx: CallContext): Promise<unknown>;
  /** Closes one connection's pools (the connection was removed); its requests in flight finish first. */
  closeConnection(connectionId: string): Promise<void>;
  /** Closes the pools this client opened (not an injected dispatcher). */
  close(): Promise<void>;
}

interface Auth {
  readonly query: Record<string, string>;
  readonly headers: Record<string, string>;
  readonly secrets: Secret[];
}

function authFor(conn: Connection): Auth {
  const { apiKey, apiSecret, bearerToken } = conn.credentials;
  if (bearerToken !== undefined) {
    return { query: {}, headers: { authorization: `Bearer ${bearerToken.reveal()}` }, secrets: [bearerToken] };
  }
  if (apiKey !== undefined && apiSecret !== undefined) {
    return { query: { api_key: apiKey.reveal(), api_secret: apiSecret.reveal() }, headers: {}, secrets: [apiKey, apiSecret] };
  }
  throw new ConfigError(`[runsignup] connection ${conn.id}: credentials need apiKey and apiSecret, or bearerToken`, [
    { path: `connections.${conn.id}.credentials`, message: "expected apiKey+apiSecret or bearerToken" },
  ]);
}

function abortedError(what: string, reason: unknown): AbortedError {
  return new AbortedError(`[runsignup] ${what}: aborted`, { cause: reason instanceof Error ? reason : undefined });
}

/** The credentials' query parameters, whatever their value, in a URL that is reported. */
const CREDENTIAL_PARAMS = /([?&](?:api_key|api_secret)=)[^&#]*/g;

/** The provider's clock from a `Date` header, or null when absent or unreadable. */
function serverTimeOf(headers: Dispatcher.ResponseData["headers"]): Date | null {
  const raw = headers.date;
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined) return null;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : new Date(at);
}

/** Creates the client. Options are already validated by the adapter. */
export function createRunSignupClient(options: ClientOptions): RunSignupClient {
  const pools = createConnectionPools(options);
  const checkedBases = new Map<string, string>();

  function baseFor(conn: Connection): string {
    const raw = conn.baseUrl ?? options.baseUrl;
    let base = checkedBases.get(raw);
    if (base === undefined) {
      base = checkBaseUrl(raw, conn.baseUrl === undefined ? "baseUrl" : `connections.${conn.id}.baseUrl`);
      checkedBases.set(raw, base);
    }
    return base;
  }

  /**
   * One request on the connection's own pool. No wall-clock deadline: undici's headers timeout
   * starts when the request is written to a socket, and its body timeout bounds each silence while
   * the body streams, so time spent waiting for a budget slot or a socket never counts against it.
   */
  async function send(
    conn: Connection,
    url: URL,
    auth: Auth,
    what: string,
    ctx: CallContext,
    scrub: (s: string) => string,
    seen: { status: number | null },
  ) {
    try {
      const res = await request(url, {
        method: "GET",
        dispatcher: options.dispatcher ?? pools.dispatcherFor(conn, url.origin),
        headers: { accept: "application/json", "user-agent": options.userAgent, ...auth.headers },
        signal: ctx.signal,
        headersTimeout: options.headersTimeoutMs,
        bodyTimeout: options.bodyTimeoutMs,
      });
      seen.status = res.statusCode;
      const serverTime = serverTimeOf(res.headers);
      if (serverTime !== null) {
        try {
          ctx.observeServerTime?.(serverTime);
        } catch {
          // An observer that throws must not fail the request.
        }
      }
      const body = await readBodyText(res, options.maxResponseBytes, what);
      return { status: res.statusCode, headers: res.headers, body };
    } catch (error) {
      if (ctx.signal.aborted) throw abortedError(what, ctx.signal.reason);
      if (error instanceof SyncError) throw error;
      throw timeoutError(error, what, options) ?? errorForNetworkFailure(error, what, scrub);
    }
  }

  async function get(conn: Connection, req: ClientRequest, ctx: CallContext): Promise<unknown> {
    const what = req.what;
    if (ctx.signal.aborted) throw abortedError(what, ctx.signal.reason);
    const base = baseFor(conn);
    const auth = authFor(conn);
    // URLSearchParams form-encodes (space as "+"), which redact()'s own encoding does not cover.
    const formEncoded = auth.secrets.map((x) => new URLSearchParams({ v: x.reveal() }).toString().slice(2));
    const scrub = (s: string) => redact(s, [...auth.secrets, ...formEncoded]);
    const url = new URL(base + req.path);
    url.searchParams.set("format", "json");
    for (const [k, v] of Object.entries(req.query)) url.searchParams.set(k, v);
    for (const [k, v] of Object.entries(auth.query)) url.searchParams.set(k, v);

    let slot: BudgetSlot;
    try {
      slot = await ctx.budget.acquire(ctx.signal);
    } catch (error) {
      if (ctx.signal.aborted) throw abortedError(what, ctx.signal.reason);
      throw error;
    }
    const started = performance.now();
    const seen: { status: number | null } = { status: null };
    let failure: string | null = null;
    try {
      // The budget may grant a slot in the same turn the signal aborts: never send then.
      if (ctx.signal.aborted) throw abortedError(what, ctx.signal.reason);
      const res = await send(conn, url, auth, what, ctx, scrub, seen);
      const retryAfterMs = parseRetryAfter(res.headers["retry-after"], ctx.now);
      const httpError = errorForHttpStatus(res.status, what, retryAfterMs);
      if (httpError !== null) throw httpError;
      let json: unknown;
      try {
        json = parseJsonExact(res.body);
      } catch {
        throw garbageBodyError(what, res.status, res.body, String(res.headers["content-type"] ?? ""));
      }
      const envelope = findErrorEnvelope(json);
      if (envelope !== null) {
        throw errorForProviderCode(envelope.error_code, scrub(envelope.error_msg ?? ""), what, retryAfterMs, raceOf(req.path));
      }
      return json;
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
      throw error;
    } finally {
      slot.release();
      try {
        options.onRequest?.({
          connectionId: conn.id,
          method: "GET",
          url: scrub(url.toString().replace(CREDENTIAL_PARAMS, "$1[redacted]")),
          status: seen.status,
          durationMs: Math.round(performance.now() - started),
          error: failure,
        });
      } catch {
        // A throwing observer must not turn a good response into a failure.
      }
    }
  }

  return {
    get,
    closeConnection: (connectionId) => pools.closeConnection(connectionId),
    close: () => pools.closeAll(),
  };
}
