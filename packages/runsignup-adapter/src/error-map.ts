/**
 * Maps RunSignUp's failure modes to core's typed errors. RunSignUp answers most errors with
 * HTTP 200 and an `{"error":{…}}` body, so the body is checked before anything reads data, and
 * an error is never turned into an empty page.
 */
import {
  AuthError,
  cleanProviderText,
  ForbiddenError,
  NotFoundError,
  ProviderError,
  RateLimitedError,
  type SyncError,
} from "@project88/core";

const AUTH_CODES = new Set([6, 7, 13]);
/** "Permission Denied": on a race's own endpoints it is about that race, not the key. */
const PERMISSION_DENIED = 7;
const NOT_FOUND_CODES = new Set([201, 223, 301]);
const TRANSIENT_CODES = new Set([4, 5]);
const THROTTLED = 14;

/** The longest wait a `Retry-After` may ask for: a far date or a huge number is read as one hour. */
export const MAX_RETRY_AFTER_MS = 60 * 60_000;

/**
 * Parses `Retry-After` (seconds or an HTTP date) to milliseconds, at most `MAX_RETRY_AFTER_MS`;
 * null when absent or unreadable.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: Date): number | null {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === "") return null;
  if (/^\d+(\.\d+)?$/.test(raw.trim())) return Math.min(MAX_RETRY_AFTER_MS, Math.round(Number(raw) * 1000));
  const at = Date.parse(raw);
  return Number.isNaN(at) ? null : Math.min(MAX_RETRY_AFTER_MS, Math.max(0, at - now.getTime()));
}

/**
 * The typed error for a RunSignUp `error_code` (`what` names the call: `race 85675 participants`).
 * `error_msg` is provider text: cleaned (control characters, lone surrogates) and cut to 500
 * characters before it becomes part of a message that reaches logs, events and `sync_runs`.
 * `raceId` is set for calls on one race (`/race/{id}/...`): error 7 there means these credentials
 * may not read that race (a `ForbiddenError`), while the key still works for its other races.
 */
export function errorForProviderCode(
  code: number,
  message: string,
  what: string,
  retryAfterMs: number | null,
  raceId: string | null = null,
): SyncError {
  const text = cleanProviderText(`[runsignup] ${what}: error ${code} ${message}`.trim());
  if (code === PERMISSION_DENIED && raceId !== null) return new ForbiddenError(text, raceId);
  if (AUTH_CODES.has(code)) return new AuthError(text);
  if (code === THROTTLED) return new RateLimitedError(text, retryAfterMs);
  if (NOT_FOUND_CODES.has(code)) return new NotFoundError(text);
  return new ProviderError(text, { providerCode: code, retryable: TRANSIENT_CODES.has(code) });
}

/** The typed error for a non-2xx HTTP status, or null when the status is a success. */
export function errorForHttpStatus(status: number, what: string, retryAfterMs: number | null): SyncError | null {
  if (status >= 200 && status < 300) return null;
  const text = `[runsignup] ${what}: HTTP ${status}`;
  if (status === 429) return new RateLimitedError(text, retryAfterMs);
  if (status >= 500) return new ProviderError(text, { httpStatus: status, retryable: true });
  // No recording shows 401/403, but a client that meets them has a credential problem.
  if (status === 401 || status === 403) return new AuthError(text);
  // A 404 is a wrong path or base URL, not a vanished race: RunSignUp reports those in the body.
  return new ProviderError(text, { httpStatus: status, retryable: false });
}

const TRANSIENT_NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_RES_CONTENT_LENGTH_MISMATCH",
]);

/**
 * A transport failure (reset, refused, timeout) as a retryable `ProviderError`. The cause is a
 * fresh, redacted error: undici's own error objects may hold the request options.
 */
export function errorForNetworkFailure(error: unknown, what: string, redactText: (s: string) => string): ProviderError {
  const code = typeof error === "object" && error !== null && "code" in error ? String((error as { code: unknown }).code) : "";
  const detail = cleanProviderText(redactText(error instanceof Error ? error.message : String(error)));
  const cause = Object.assign(new Error(detail), code === "" ? {} : { code });
  const kind = TRANSIENT_NETWORK_CODES.has(code) || code === "" ? "network error" : "request failed";
  return new ProviderError(`[runsignup] ${what}: ${kind}${code === "" ? "" : ` ${code}`}: ${detail}`, { cause, retryable: true });
}

/** Which of the client's timeouts a request hit, with its length. */
export interface Timeouts {
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
}

const TIMEOUT_CODES: Record<string, (t: Timeouts) => string> = {
  UND_ERR_CONNECT_TIMEOUT: (t) => `no connection within ${t.connectTimeoutMs} ms`,
  UND_ERR_HEADERS_TIMEOUT: (t) => `no response headers within ${t.headersTimeoutMs} ms of sending the request`,
  UND_ERR_BODY_TIMEOUT: (t) => `the response body stalled for ${t.bodyTimeoutMs} ms`,
};

/**
 * A request that hit one of the client's timeouts, as a retryable `ProviderError` naming which
 * one; null when `error` is not a timeout. Every timeout starts once the request has a socket.
 */
export function timeoutError(error: unknown, what: string, timeouts: Timeouts): ProviderError | null {
  const code = typeof error === "object" && error !== null && "code" in error ? String((error as { code: unknown }).code) : "";
  const describe = TIMEOUT_CODES[code];
  if (describe === undefined) return null;
  return new ProviderError(`[runsignup] ${what}: ${describe(timeouts)}`, {
    cause: Object.assign(new Error(code), { code }),
    retryable: true,
  });
}

/** A 2xx body that is not JSON: an HTML error page from a proxy, or JSON cut off mid-way. */
export function garbageBodyError(what: string, status: number, body: string, contentType: string): ProviderError {
  const html = /html/i.test(contentType) || /^\s*</.test(body);
  const reason = html ? "HTML body instead of JSON" : body.trim() === "" ? "empty body" : "truncated or invalid JSON";
  return new ProviderError(`[runsignup] ${what}: ${reason} (HTTP ${status}, ${body.length} bytes)`, {
    httpStatus: status,
    retryable: true,
  });
}
