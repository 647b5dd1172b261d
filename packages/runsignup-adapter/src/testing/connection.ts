/** Builds core `Connection`s for the fake's keys. */
import { secret, type Connection } from "@project88/core";
import type { FakeKey } from "./dataset.js";

export interface FakeConnectionOptions {
  /** Connection id (default: the partner's name, kebab-cased). */
  readonly id?: string;
  /** `key` (api_key + api_secret, default) or `bearer` (OAuth token). */
  readonly auth?: "key" | "bearer";
  readonly callsPerHour?: number;
  readonly maxInFlight?: number;
  readonly budgetKey?: string;
}

/** A `Connection` that talks to the fake at `baseUrl` with `key`'s credentials (as `Secret`s). */
export function fakeConnection(key: FakeKey, baseUrl: string, options: FakeConnectionOptions = {}): Connection {
  const id = options.id ?? key.partner.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  return {
    id,
    provider: "runsignup",
    credentials:
      options.auth === "bearer"
        ? { bearerToken: secret(key.bearerToken) }
        : { apiKey: secret(key.apiKey), apiSecret: secret(key.apiSecret) },
    baseUrl,
    budgetKey: options.budgetKey ?? `runsignup:${id}`,
    callsPerHour: options.callsPerHour ?? 1000,
    maxInFlight: options.maxInFlight ?? 2,
  };
}
