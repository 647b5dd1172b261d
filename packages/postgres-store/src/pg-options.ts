import type pg from "pg";

/**
 * Timeouts and TLS of the connections the store opens from a connection string. The defaults
 * make a silent network partition fail a query (and let the server free its locks) instead of
 * leaving the engine waiting on a socket nobody answers.
 */
export interface PgConnectionOptions {
  /** How long to wait for a new connection (TCP, TLS and authentication). Default 10 s; 0 waits forever. */
  readonly connectionTimeoutMs?: number | undefined;
  /**
   * TCP keepalive on every connection, so a dead peer is noticed while a query waits. Default on,
   * first probe after 10 s idle; `false` turns it off.
   */
  readonly keepAlive?: boolean | { readonly initialDelayMs: number } | undefined;
  /** Server-side `statement_timeout`: a statement running longer is cancelled. Default 60 s; 0 disables. */
  readonly statementTimeoutMs?: number | undefined;
  /**
   * Server-side `idle_in_transaction_session_timeout`: a session idle inside a transaction that long
   * (its client went silent) is ended and its locks released. Default 60 s; 0 disables.
   */
  readonly idleInTransactionTimeoutMs?: number | undefined;
  /**
   * TLS options handed to `pg` as they are (`true`, or `{ rejectUnauthorized, ca, cert, key, servername }`).
   * An `sslmode` in the connection string takes precedence, as in `pg`.
   */
  readonly ssl?: pg.PoolConfig["ssl"] | undefined;
}

/** The defaults of `PgConnectionOptions`, in milliseconds. */
export const PG_DEFAULTS = {
  connectionTimeoutMs: 10_000,
  keepAliveInitialDelayMs: 10_000,
  statementTimeoutMs: 60_000,
  idleInTransactionTimeoutMs: 60_000,
} as const;

/** The `pg.Pool` settings for `options`, defaults filled in. */
export function pgPoolConfig(connectionString: string, max: number, options: PgConnectionOptions = {}): pg.PoolConfig {
  const keepAlive = options.keepAlive ?? true;
  const config: pg.PoolConfig = {
    connectionString,
    max,
    idleTimeoutMillis: 10_000,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? PG_DEFAULTS.connectionTimeoutMs,
    keepAlive: keepAlive !== false,
    keepAliveInitialDelayMillis: typeof keepAlive === "object" ? keepAlive.initialDelayMs : PG_DEFAULTS.keepAliveInitialDelayMs,
    statement_timeout: options.statementTimeoutMs ?? PG_DEFAULTS.statementTimeoutMs,
    idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? PG_DEFAULTS.idleInTransactionTimeoutMs,
  };
  if (options.ssl !== undefined) config.ssl = options.ssl;
  return config;
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

/**
 * A warning when `connectionString` would send credentials and registrations in plain text over
 * a network: a host that is not loopback or a Unix socket, with no `sslmode` (or `sslmode=disable`)
 * and no `ssl` option. Null when the connection is local or encrypted, or the string is not a URL.
 */
export function plaintextWarning(connectionString: string, ssl: PgConnectionOptions["ssl"]): string | null {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    return null;
  }
  const sslmode = url.searchParams.get("sslmode");
  const sslParam = url.searchParams.get("ssl");
  const host = decodeURIComponent(url.hostname);
  const socketHost = url.searchParams.get("host");
  if (host === "" || host.startsWith("/") || (socketHost?.startsWith("/") ?? false)) return null;
  if (LOOPBACK.has(host.toLowerCase()) || /^127(?:\.\d{1,3}){3}$/.test(host)) return null;
  const encrypted =
    (sslmode !== null && sslmode !== "disable") ||
    (sslParam !== null && sslParam !== "false" && sslParam !== "0") ||
    (sslmode === null && ssl !== undefined && ssl !== false);
  if (encrypted) return null;
  return `[postgres-store] the connection to ${host} is not encrypted: credentials and registrations cross the network in plain text; add sslmode=verify-full (or sslmode=require) to the URL, or set the ssl option`;
}
