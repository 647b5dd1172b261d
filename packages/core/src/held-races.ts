import { heldUrgency, pickHeld, type HeldView } from "./dispatch.js";
import type { StoredEvent } from "./store.js";
import type { EventRef } from "./types.js";

interface Held extends HeldView {
  readonly events: readonly StoredEvent[];
}

/**
 * Races this process has claimed but cannot start yet because their connection has no free
 * in-flight slot, one queue per connection in the store's claim order (priority, then most
 * overdue). Holding them (their leases renewed) lets the next claim reach past a saturated
 * connection's backlog to the races of idle connections.
 */
export interface HeldRaces {
  add(connectionId: string, events: readonly StoredEvent[]): void;
  /**
   * The most urgent held race of a connection, removed from the queue. `priorityOf` gives an
   * event's priority now: one held while medium may have entered high since it was claimed.
   * With `atMostPriority`, only a race at least that urgent.
   */
  take(connectionId: string, priorityOf?: (event: StoredEvent) => number, atMostPriority?: number): readonly StoredEvent[] | undefined;
  /** Races held for one connection. */
  count(connectionId: string): number;
  /** Forgets the races any of whose events' leases were lost; returns every event of those races. */
  drop(lost: readonly EventRef[]): StoredEvent[];
  /** Removes and returns every held event (stop). */
  drain(): StoredEvent[];
  readonly size: number;
}

/** Creates the per-connection queues of held races. */
export function createHeldRaces(): HeldRaces {
  const queues = new Map<string, Held[]>();
  let size = 0;
  return {
    get size() {
      return size;
    },
    add(connectionId, events) {
      const held: Held = {
        events,
        priority: Math.min(...events.map((e) => e.state.priority)),
        dueAt: Math.min(...events.map((e) => e.state.nextDueAt?.getTime() ?? Infinity)),
      };
      const queue = queues.get(connectionId) ?? [];
      let i = queue.length;
      while (i > 0 && heldUrgency(held, queue[i - 1] as Held) < 0) i--;
      queue.splice(i, 0, held);
      queues.set(connectionId, queue);
      size++;
    },
    take(connectionId, priorityOf, atMostPriority) {
      const queue = queues.get(connectionId);
      if (queue === undefined || queue.length === 0) return undefined;
      const now =
        priorityOf === undefined ? queue : queue.map((h) => ({ dueAt: h.dueAt, priority: Math.min(...h.events.map(priorityOf)) }));
      const best = pickHeld(now, atMostPriority);
      if (best === null) return undefined;
      const [next] = queue.splice(best, 1);
      size--;
      return next?.events;
    },
    count(connectionId) {
      return queues.get(connectionId)?.length ?? 0;
    },
    drop(lost) {
      if (lost.length === 0) return [];
      const gone = new Set(lost.map((r) => `${r.provider}\u0000${r.eventId}`));
      const dropped: StoredEvent[] = [];
      for (const [id, queue] of queues) {
        const kept: Held[] = [];
        for (const h of queue) {
          if (h.events.some((e) => gone.has(`${e.provider}\u0000${e.eventId}`))) dropped.push(...h.events);
          else kept.push(h);
        }
        size -= queue.length - kept.length;
        queues.set(id, kept);
      }
      return dropped;
    },
    drain() {
      const all = [...queues.values()].flatMap((q) => q.flatMap((h) => [...h.events]));
      queues.clear();
      size = 0;
      return all;
    },
  };
}
