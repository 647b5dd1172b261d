import type { StoreContext } from "./rows.js";

/**
 * The database server's clock, read with `clock_timestamp()` (the instant of the call, not the
 * transaction's start as `now()` would give). The engine compares it with its own clock.
 */
export async function databaseNow(ctx: StoreContext): Promise<Date> {
  const result = await ctx.db.query<{ now: Date | string }>("select clock_timestamp() as now", [], {
    operation: "databaseNow",
    retry: true,
  });
  const value = result.rows[0]?.now;
  return value instanceof Date ? value : new Date(String(value));
}
