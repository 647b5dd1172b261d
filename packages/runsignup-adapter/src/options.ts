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

/** RunSignUp's documented maxima. */
export const MAX_PARTICIPANTS_PER_PAGE = 2500;
export const MAX_RACES_PER_PAGE = 1000;

const schema = z.object({
  baseUrl: z.string().default(DEFAULT_BASE_URL),
  dispatcher: z.custom<Dispatcher>((v) => typeof v === "object" && v !== null && "dispatch" in v, "expected an undici Dispatcher").optional(),
  pageSize: z.number().int().min(1).max(MAX_PARTICIPANTS_PER_PAGE).default(MAX_PARTICIPANTS_PER_PAGE),
  racePageSize: z.number().int().min(1).max(MAX_RACES_PER_PAGE).default(MAX_RACES_PER_PAGE),
  timeoutMs: z.number().int().min(1).max(600_000).default(30_000),
  connectionsPerOrigin: z.number().int().min(1).max(64).default(2),
  raceDetail: z.enum(["auto", "always"]).default("auto"),
  includeQuestions: z.boolean().default(false),
  userAgent: z.string().min(1).default("project88-sync (+https://github.com/project88)"),
  onRequest: z.custom<(info: RequestInfo) => void>((v) => typeof v === "function", "expected a function").optional(),
});

/** Options of `createRunSignupAdapter`; every field has a default. */
export interface RunSignupAdapterOptions {
  /** REST root, default `https://runsignup.com/Rest`. https only, except to loopback hosts. */
  baseUrl?: string;
  /** An undici dispatcher for every request (tests, proxies). Default: a keep-alive Pool per origin. */
  dispatcher?: Dispatcher;
  /** Participants per request, at most 2500 (default 2500). */
  pageSize?: number;
  /** Races per `GET /races` page, at most 1000 (default 1000). */
  racePageSize?: number;
  /** Deadline of one request, headers and body together (default 30 s). */
  timeoutMs?: number;
  /** Keep-alive sockets per origin in the default Pool (default 2, RunSignUp's concurrency rule). */
  connectionsPerOrigin?: number;
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

export type ResolvedOptions = z.output<typeof schema>;

/** Validates options; throws `ConfigError` naming every bad path. */
export function resolveOptions(input: RunSignupAdapterOptions = {}): ResolvedOptions {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
    throw new ConfigError(`[runsignup] invalid adapter options: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`, issues);
  }
  return { ...result.data, baseUrl: checkBaseUrl(result.data.baseUrl) };
}
