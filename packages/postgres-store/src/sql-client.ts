import { StoreError, SyncError } from "@project88/core";

/** A row set as both drivers return it. */
export interface SqlResult<Row> {
  readonly rows: Row[];
  readonly rowCount: number;
}

/** Runs one statement. Both `SqlClient` and the handle inside a transaction implement it. */
export interface SqlQueryable {
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>>;
  /** Runs a script of several statements without parameters (a migration file). */
  exec(text: string): Promise<void>;
}

/** How one statement or transaction runs. */
export interface SqlRunOptions {
  /** Names the work in error messages (`commitPage`, `claimDue`). */
  readonly operation?: string;
  /**
   * Retry once on a fresh connection when the server went away. Only for work that is safe to
   * repeat (reads, claims): a write whose COMMIT reply was lost must not run twice unnoticed.
   */
  readonly retry?: boolean;
}

/**
 * The seam between the store and a driver: `pg` (a server) and PGlite (embedded) run the same
 * SQL through it. Every error it throws is a `StoreError` (or the `SyncError` a callback threw),
 * and a transaction is always finished (committed or rolled back) before the promise settles.
 */
export interface SqlClient {
  readonly kind: "pg" | "pglite";
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[], options?: SqlRunOptions): Promise<SqlResult<Row>>;
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>, options?: SqlRunOptions): Promise<T>;
  /** Ends what the client created; an injected pool or database is left open. Idempotent. */
  close(): Promise<void>;
}

/** SQLSTATE classes and driver codes that mean the connection, not the statement, failed. */
const CONNECTION_CODES = new Set([
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EHOSTUNREACH",
]);

/** SQLSTATEs after which the same transaction may succeed if run again. */
const TRANSIENT_CODES = new Set(["40001", "40P01", "55P03", "53300"]);

/** True when the error says the server or the socket went away. */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && (CONNECTION_CODES.has(code) || code.startsWith("08"))) return true;
  return /Connection terminated|connection (?:is )?closed|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(
    error.message,
  );
}

/** Wraps a driver error into a `StoreError` naming the operation; `SyncError`s pass through. */
export function toStoreError(error: unknown, operation: string): SyncError {
  if (error instanceof SyncError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const connection = isConnectionError(error);
  const retryable = connection || (typeof code === "string" && TRANSIENT_CODES.has(code));
  const detail = error instanceof Error ? error.message : String(error);
  const prefix = connection ? "database connection lost: " : "";
  return new StoreError(`[postgres-store] ${operation}: ${prefix}${detail}${typeof code === "string" && !connection ? ` (${code})` : ""}`, {
    cause: error,
    retryable,
  });
}

/** True for failures after which running the same transaction again may succeed. */
function isRetryOnce(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return isConnectionError(error) || (typeof code === "string" && TRANSIENT_CODES.has(code));
}

/**
 * Runs `attempt`, and once more when it failed for a lost connection (or a deadlock or
 * serialization failure, which rolled it back whole) and `retry` allows it.
 * The second failure (or any other) is thrown as a `StoreError`.
 */
export async function withRetry<T>(operation: string, retry: boolean, attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (error) {
    if (!retry || !isRetryOnce(error)) throw toStoreError(error, operation);
  }
  try {
    return await attempt();
  } catch (error) {
    throw toStoreError(error, operation);
  }
}
