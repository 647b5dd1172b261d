/**
 * Keep-alive socket pools, one per connection and origin. A shared pool made one partner's slow
 * responses hold the sockets every other partner's requests queued for; with a pool of its own
 * sized to its in-flight limit, a connection's request that holds a budget slot gets a socket at
 * once, whatever the other connections are doing.
 */
import type { Connection } from "@project88/core";
import { Pool, type Dispatcher } from "undici";

/** How the pools are built. */
export interface PoolSettings {
  /** Sockets per pool; absent: the connection's `maxInFlight`. */
  readonly connectionsPerOrigin?: number | undefined;
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
}

/** The pools of one client. */
export interface ConnectionPools {
  /** The pool of this connection for this origin, created (or resized) on first use. */
  dispatcherFor(conn: Connection, origin: string): Dispatcher;
  /** How many pools are open (for tests). */
  readonly size: number;
  /** Closes the pools of one connection (removed from the engine); requests in flight finish first. */
  closeConnection(connectionId: string): Promise<void>;
  /** Closes every pool. */
  closeAll(): Promise<void>;
}

interface Entry {
  readonly connectionId: string;
  readonly sockets: number;
  readonly pool: Pool;
}

/** Creates an empty pool registry. */
export function createConnectionPools(settings: PoolSettings): ConnectionPools {
  const entries = new Map<string, Entry>();
  const closeQuietly = (pool: Pool) => pool.close().catch(() => undefined);

  return {
    dispatcherFor(conn, origin) {
      const key = JSON.stringify([conn.id, origin]);
      const sockets = settings.connectionsPerOrigin ?? Math.max(1, conn.maxInFlight);
      const entry = entries.get(key);
      if (entry !== undefined && entry.sockets === sockets) return entry.pool;
      // The connection's in-flight limit changed: a new pool; the old one closes once its requests end.
      if (entry !== undefined) void closeQuietly(entry.pool);
      const pool = new Pool(origin, {
        connections: sockets,
        keepAliveTimeout: 30_000,
        headersTimeout: settings.headersTimeoutMs,
        bodyTimeout: settings.bodyTimeoutMs,
        connect: { timeout: settings.connectTimeoutMs },
      });
      entries.set(key, { connectionId: conn.id, sockets, pool });
      return pool;
    },
    get size() {
      return entries.size;
    },
    async closeConnection(connectionId) {
      const closing: Promise<void>[] = [];
      for (const [key, entry] of entries) {
        if (entry.connectionId !== connectionId) continue;
        entries.delete(key);
        closing.push(closeQuietly(entry.pool));
      }
      await Promise.all(closing);
    },
    async closeAll() {
      const all = [...entries.values()];
      entries.clear();
      await Promise.all(all.map((e) => closeQuietly(e.pool)));
    },
  };
}
