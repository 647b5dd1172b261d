/**
 * The adapter's options, validated once with zod into a resolved shape. A bad option is a
 * `ConfigError` listing every bad path; the hot path never re-validates.
 */
import { ConfigError } from "@project88/core";
import type { Dispatcher } from "undici";
import { z } from "zod";
import { checkBaseUrl, DEFAULT_BASE_URL } from "./base-url.js";
import type { RequestInfo } from "./client.js";
import { formatPath } from "./schemas.js";

/** The largest response body read by default (64 MiB); a larger one is abandoned while streaming. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** RunSignUp's documented maxima. */
export const MAX_PARTICIPANTS_PER_PAGE = 2500;
export const MAX_RACES_PER_PAGE = 1000;

const schema = z.object({
  baseUrl: z.string().default(DEFAULT_BASE_URL),
  dispatcher: z
    .custom<Dispatcher>((v) => typeof v === "object" && v !== null && "dispatch" in v, "expected an undici Dispatcher")
    .optional(),
  pageSize: z.number().int().min(1).max(MAX_PARTICIPANTS_PER_PAGE).default(MAX_PARTICIPANTS_PER_PAGE),
  racePageSize: z.number().int().min(1).max(MAX_RACES_PER_PAGE).default(MAX_RACES_PER_PAGE),
  timeoutMs: z.number().int().min(1).max(600_000).default(30_000),
  connectTimeoutMs: z.number().int().min(1).max(600_000).default(10_000),
  headersTimeoutMs: z.number().int().min(1).max(600_000).optional(),
  bodyTimeoutMs: z.number().int().min(1).max(600_000).optional(),
  connectionsPerOrigin: z.number().int().min(1).max(64).optional(),
  maxResponseBytes: z
    .number()
    .int()
    .min(1024)
    .max(2 ** 31 - 1)
    .default(DEFAULT_MAX_RESPONSE_BYTES),
  raceDetail: z.enum(["auto", "always"]).default("auto"),
  includeQuestions: z.boolean().default(false),
  userAgent: z.string().min(1).default("project88-sync (+https://github.com/project88)"),
  onRequest: z.custom<(info: RequestInfo) => void>((v) => typeof v === "function", "expected a function").optional(),
});

/** Options of `createRunSignupAdapter`; every field has a default. */
export interface RunSignupAdapterOptions {
  /** REST root, default `https://runsignup.com/Rest`. https only, except to loopback hosts. */
  baseUrl?: string;
  /** An undici dispatcher for every request (tests, proxies). Default: a keep-alive Pool per connection and origin. */
  dispatcher?: Dispatcher;
  /** Participants per request, at most 2500 (default 2500). */
  pageSize?: number;
  /** Races per `GET /races` page, at most 1000 (default 1000). */
  racePageSize?: number;
  /**
   * Default of `headersTimeoutMs` and `bodyTimeoutMs` (30 s). No timer runs while a request waits
   * for its budget slot or a socket: each one starts when the request is on the wire.
   */
  timeoutMs?: number;
  /** Longest wait for a new socket's TCP (and TLS) handshake (10 s). */
  connectTimeoutMs?: number;
  /** Longest wait for the response headers, from the moment the request was sent (`timeoutMs`). */
  headersTimeoutMs?: number;
  /** Longest silence while the body streams in (`timeoutMs`). */
  bodyTimeoutMs?: number;
  /**
   * Sockets of each connection's own keep-alive Pool. Default: the connection's `maxInFlight`, so
   * a request holding a budget slot never waits for a socket, and never behind another
   * connection's traffic (every connection has its own pool).
   */
  connectionsPerOrigin?: number;
  /**
   * The largest response body read (64 MiB). A larger one (by `Content-Length`, or counted while
   * it streams) is abandoned at the limit and fails as a retryable `ProviderError` naming its size.
   */
  maxResponseBytes?: number;
  /** `auto`: `GET /race/:id` only when the list lacks events or a time zone; `always`: for every race. */
  raceDetail?: "auto" | "always";
  /**
   * Ask for `question_responses` on participants (kept in `raw`) for connections that do not say
   * (`Connection.includeQuestions` wins). Default false: answers often hold emergency contacts
   * and medical notes, so they are fetched only when asked for.
   */
  includeQuestions?: boolean;
  userAgent?: string;
  /** Called after every request with a redacted URL, the status and the duration. Must not throw. */
  onRequest?: (info: RequestInfo) => void;
}

/** Options after validation, every timeout resolved. */
export type ResolvedOptions = Omit<z.output<typeof schema>, "headersTimeoutMs" | "bodyTimeoutMs"> & {
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
};

/** Validates options; throws `ConfigError` naming every bad path. */
export function resolveOptions(input: RunSignupAdapterOptions = {}): ResolvedOptions {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
    throw new ConfigError(`[runsignup] invalid adapter options: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`, issues);
  }
  const o = result.data;
  return {
    ...o,
    baseUrl: checkBaseUrl(o.baseUrl),
    headersTimeoutMs: o.headersTimeoutMs ?? o.timeoutMs,
    bodyTimeoutMs: o.bodyTimeoutMs ?? o.timeoutMs,
  };
}
