/**
 * Fault injection for the fake RunSignUp, by script (the next matching requests fail in order)
 * or by rate (each matching request fails with a seeded probability).
 */
import { createRng, type Rng } from "./people.js";

/**
 * - `http500`/`http502`/`http503`: that status with a small JSON body;
 * - `html502`: a proxy's HTML error page with status 502;
 * - `http200-html`: an HTML page with status 200 (a captive portal, a broken proxy);
 * - `reset`: the connection is destroyed before any response;
 * - `truncated`: the real body, cut in half, status 200;
 * - `slow`: the real response after `delayMs` (default 5 s), beyond a client's timeout;
 * - `throttle`: error 14 as an HTTP 200 envelope (with `Retry-After` only when `retryAfterSeconds`
 *   is given: RunSignUp has never been seen sending one);
 * - `http429`: status 429 with `Retry-After` (seconds, default 7);
 * - `error`: any provider error code as an HTTP 200 envelope (`code`, default 4);
 * - `oversize`: status 200 and a JSON body of `bytes` bytes (default 20 MiB), streamed without a
 *   `Content-Length` unless `declareLength`; the call log counts what was written before the
 *   client hung up;
 * - `rewrite`: the real body passed through `rewrite` (a bad field, an id beyond 2^53 written
 *   as a JSON number, a body that is not JSON), status 200.
 */
export type FaultKind =
  | "http500"
  | "http502"
  | "http503"
  | "html502"
  | "http200-html"
  | "reset"
  | "truncated"
  | "slow"
  | "throttle"
  | "http429"
  | "error"
  | "oversize"
  | "rewrite";

/** Which endpoint a request hit. */
export type FakeEndpoint = "races" | "race" | "participants" | "removed-participants" | "other";

export interface FaultSpec {
  readonly kind: FaultKind;
  /** Only requests to this endpoint (default: any). */
  readonly endpoint?: FakeEndpoint;
  /** For `slow`. */
  readonly delayMs?: number;
  /** For `http429` (and `throttle`, sent as a header too). */
  readonly retryAfterSeconds?: number;
  /** For `error`. */
  readonly code?: number;
  /** For `error`: the `error_msg` to send (default: RunSignUp's text for the code). */
  readonly message?: string;
  /** For `oversize`: the body's size in bytes. */
  readonly bytes?: number;
  /** For `oversize`: send a `Content-Length` header (default: chunked, size unknown up front). */
  readonly declareLength?: boolean;
  /** Only requests authenticated with this api_key (default: any key). */
  readonly apiKey?: string;
  /** Only requests about this race (`/race/:id...`; default: any), e.g. one forbidden race. */
  readonly raceId?: number;
  /** For `rewrite`: the body to send instead of the real one. */
  readonly rewrite?: (body: string) => string;
}

/** What a request is, for matching faults. */
export interface FaultTarget {
  readonly endpoint: FakeEndpoint;
  readonly apiKey?: string | null | undefined;
  readonly raceId?: number | null | undefined;
}

/** Settings a rate rule gives each fault it injects: filters (`apiKey`, `raceId`) and details (`delayMs`, `code`, ...). */
export type FaultRateOptions = Omit<FaultSpec, "kind" | "endpoint">;

interface RateRule {
  readonly rate: number;
  readonly kinds: readonly FaultKind[];
  readonly endpoint?: FakeEndpoint | undefined;
  readonly options: FaultRateOptions;
}

function matches(spec: Omit<FaultSpec, "kind">, target: FaultTarget): boolean {
  if (spec.endpoint !== undefined && spec.endpoint !== target.endpoint) return false;
  if (spec.apiKey !== undefined && spec.apiKey !== (target.apiKey ?? null)) return false;
  if (spec.raceId !== undefined && spec.raceId !== (target.raceId ?? null)) return false;
  return true;
}

/** The server's fault plan; tests reach it as `server.faults`. */
export class FaultController {
  readonly #queue: FaultSpec[] = [];
  #rules: RateRule[] = [];
  readonly #rng: Rng;

  constructor(seed = 7) {
    this.#rng = createRng(seed);
  }

  /** The next matching requests fail with these faults, one each, in order. */
  script(...faults: readonly (FaultKind | FaultSpec)[]): this {
    for (const f of faults) this.#queue.push(typeof f === "string" ? { kind: f } : f);
    return this;
  }

  /**
   * From now on, each matching request fails with probability `rate`, with one of `kinds`. The
   * last argument is an api_key (only that key's requests), or options that narrow the rule
   * (`apiKey`, `raceId`) and set details (`delayMs`, `retryAfterSeconds`, `code`, `rewrite`).
   */
  setRate(rate: number, kinds: readonly FaultKind[], endpoint?: FakeEndpoint, apiKeyOrOptions?: string | FaultRateOptions): this {
    const options = typeof apiKeyOrOptions === "string" ? { apiKey: apiKeyOrOptions } : (apiKeyOrOptions ?? {});
    this.#rules.push({ rate, kinds, endpoint, options });
    return this;
  }

  /** Drops every scripted fault and rate. */
  clear(): this {
    this.#queue.length = 0;
    this.#rules = [];
    return this;
  }

  /** Scripted faults not yet used. */
  get pending(): number {
    return this.#queue.length;
  }

  /**
   * The fault for a request, if any (consumes a scripted one): to `endpoint` by `apiKey` (null:
   * unauthenticated), or a whole target with its race.
   */
  take(request: FakeEndpoint | FaultTarget, apiKey: string | null = null): FaultSpec | null {
    const target: FaultTarget = typeof request === "string" ? { endpoint: request, apiKey } : request;
    const i = this.#queue.findIndex((f) => matches(f, target));
    if (i >= 0) return this.#queue.splice(i, 1)[0]!;
    for (const rule of this.#rules) {
      if (!matches({ ...rule.options, endpoint: rule.endpoint }, target)) continue;
      if (this.#rng.next() < rule.rate)
        return { ...rule.options, kind: rule.kinds[Math.floor(this.#rng.next() * rule.kinds.length)]!, endpoint: target.endpoint };
    }
    return null;
  }
}
