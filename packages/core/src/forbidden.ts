import type { EventEmitter } from "eventemitter3";
import { usableConnectionIds } from "./dispatch.js";
import { safeEmit } from "./emitter.js";
import type { ForbiddenError } from "./errors.js";
import type { EngineEventArgs } from "./events.js";
import type { ResolvedConnection, ResolvedOptions } from "./options.js";
import type { SerializedError, StoredEvent } from "./store.js";

/**
 * Records that the provider refused a race to one connection: the connection's links to the
 * race's events are marked forbidden in the store (so claims by this and every other process
 * route the race through another connection that sees it) and `race:forbidden` says so. The
 * connection's budget is not paused: its other races are none of this refusal's business.
 * Returns whether the store kept the mark; when it could not, the caller backs off as for any
 * failure, so an unmarked link is not asked again in a tight loop.
 */
export async function recordForbidden(
  options: ResolvedOptions,
  emitter: EventEmitter<EngineEventArgs>,
  conn: ResolvedConnection,
  pass: { readonly provider: string; readonly raceId: string; readonly events: readonly StoredEvent[] },
  error: ForbiddenError,
  serialized: SerializedError,
  now: Date,
): Promise<boolean> {
  const raceId = error.raceId ?? pass.raceId;
  const marked = await options.store
    .markForbidden({ connectionId: conn.id, provider: pass.provider, raceId, now, error: serialized })
    .catch(() => null);
  const eventIds = marked === null ? pass.events.map((e) => e.eventId) : marked.map((r) => r.eventId);
  const others = usableConnectionIds(pass.events).filter((id) => id !== conn.id);
  safeEmit(emitter, "race:forbidden", {
    connectionId: conn.id,
    provider: pass.provider,
    raceId,
    eventIds,
    error: serialized,
    otherConnectionIds: others,
  });
  return marked !== null;
}
