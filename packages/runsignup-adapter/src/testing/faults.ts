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
 * - `throttle`: error 14 as an HTTP 200 envelope;
 * - `http429`: status 429 with `Retry-After` (seconds, default 7);
 * - `error`: any provider error code as an HTTP 200 envelope (`code`, default 4);
 * - `oversize`: status 200 and a JSON body of `bytes` bytes (default 20 MiB), streamed without a
 *   `Content-Length` unless `declareLength`; the call log counts what was written before the
 *   client hung up.
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
  | "oversize";

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
}

interface RateRule {
  readonly rate: number;
  readonly kinds: readonly FaultKind[];
  readonly endpoint?: FakeEndpoint | undefined;
  readonly apiKey?: string | undefined;
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

  /** From now on, each matching request (of `apiKey`'s key, when given) fails with probability `rate`, with one of `kinds`. */
  setRate(rate: number, kinds: readonly FaultKind[], endpoint?: FakeEndpoint, apiKey?: string): this {
    this.#rules.push({ rate, kinds, endpoint, apiKey });
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

  /** The fault for a request to `endpoint` by `apiKey` (null: unauthenticated), if any (consumes a scripted one). */
  take(endpoint: FakeEndpoint, apiKey: string | null = null): FaultSpec | null {
    const matches = (f: { endpoint?: FakeEndpoint | undefined; apiKey?: string | undefined }) =>
      (f.endpoint === undefined || f.endpoint === endpoint) && (f.apiKey === undefined || f.apiKey === apiKey);
    const i = this.#queue.findIndex(matches);
    if (i >= 0) return this.#queue.splice(i, 1)[0]!;
    for (const rule of this.#rules) {
      if (!matches(rule)) continue;
      if (this.#rng.next() < rule.rate) return { kind: rule.kinds[Math.floor(this.#rng.next() * rule.kinds.length)]!, endpoint };
    }
    return null;
  }
}
