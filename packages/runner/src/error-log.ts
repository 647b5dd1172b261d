import { redact, type Secret } from "@project88/core";
import type { EngineEmitter } from "./logging.js";
import { scrubPersonal } from "./personal.js";

/** One recent failure, as the status page lists it. */
export interface RecentError {
  readonly at: Date;
  readonly what: "sync" | "discovery" | "throttled" | "lease" | "engine";
  readonly connectionId: string | null;
  readonly raceId: string | null;
  readonly eventIds: readonly string[];
  readonly code: string;
  readonly message: string;
}

/** A bounded, newest-first list of the engine's recent failures. */
export interface ErrorLog {
  list(): readonly RecentError[];
  attach(engine: EngineEmitter): () => void;
}

/**
 * Keeps the last `size` failures from engine events. Messages are secret-free by contract; they
 * are scrubbed once more against the configured secrets because this list is shown on a page.
 */
export function createErrorLog(
  options: { readonly size?: number; readonly secrets?: readonly Secret[]; readonly now?: () => Date } = {},
): ErrorLog {
  const size = options.size ?? 20;
  const secrets = options.secrets ?? [];
  const now = options.now ?? (() => new Date());
  const entries: RecentError[] = [];
  const push = (entry: Omit<RecentError, "at" | "message"> & { message: string }) => {
    entries.unshift({ ...entry, at: now(), message: scrubPersonal(redact(entry.message, secrets)) });
    if (entries.length > size) entries.length = size;
  };
  return {
    list: () => entries,
    attach(engine) {
      const onSync = (e: { connectionId: string; raceId: string; eventIds: readonly string[]; error: { code: string; message: string } }) =>
        push({
          what: "sync",
          connectionId: e.connectionId,
          raceId: e.raceId,
          eventIds: e.eventIds,
          code: e.error.code,
          message: e.error.message,
        });
      const onDiscovery = (e: { connectionId: string; error: { code: string; message: string } | null }) => {
        if (e.error)
          push({
            what: "discovery",
            connectionId: e.connectionId,
            raceId: null,
            eventIds: [],
            code: e.error.code,
            message: e.error.message,
          });
      };
      const onThrottled = (e: { connectionId: string; until: Date; reason: string }) =>
        push({
          what: "throttled",
          connectionId: e.connectionId,
          raceId: null,
          eventIds: [],
          code: "THROTTLED",
          message: `${e.reason} (paused until ${e.until.toISOString()})`,
        });
      const onLease = (e: { events: readonly { eventId: string }[] }) =>
        push({
          what: "lease",
          connectionId: null,
          raceId: null,
          eventIds: e.events.map((x) => x.eventId),
          code: "LEASE_LOST",
          message: "lease lost; pass abandoned",
        });
      const onEngine = (e: { phase: string; error: { code: string; message: string } }) =>
        push({
          what: "engine",
          connectionId: null,
          raceId: null,
          eventIds: [],
          code: e.error.code,
          message: `${e.phase}: ${e.error.message}`,
        });
      engine.on("sync:error", onSync);
      engine.on("engine:error", onEngine);
      engine.on("discovery:finish", onDiscovery);
      engine.on("budget:throttled", onThrottled);
      engine.on("lease:lost", onLease);
      return () => {
        engine.off("sync:error", onSync);
        engine.off("engine:error", onEngine);
        engine.off("discovery:finish", onDiscovery);
        engine.off("budget:throttled", onThrottled);
        engine.off("lease:lost", onLease);
      };
    },
  };
}
