import { resolveSchedule, tierAt } from "@project88/core";
import type { SyncRecord } from "./metrics.js";
import type { Workload } from "./workload.js";

const schedule = resolveSchedule({});
const CYCLE_MS = 10_000;
const CAPS: Record<string, number> = { high: 50, medium: 20, low: 10 };

/**
 * The origin system's policy, as a model: every 10-second cycle it syncs at most 50 high, 20
 * medium and 10 low due events (most overdue first), one event per sync (no coalescing), each
 * sync costing an authentication call plus a participants call, against one 1000/h token bucket
 * shared by every key (burst 20) when `sharedBudget` is set. Same tiers as the engine.
 */
export function runOriginModel(workload: Workload, from: number, to: number, sharedBudget: boolean) {
  const events = workload.races.flatMap((r) =>
    r.events.map((e) => ({ id: e.eventId, start: e.startsAt, conn: r.connectionId, due: from, done: false })),
  );
  const calls: { at: number; connectionId: string }[] = [];
  const syncs: SyncRecord[] = [];
  let tokens = 20;
  const refillPerMs = (1000 - 20) / 3_600_000;
  for (let t = from; t < to; t += CYCLE_MS) {
    tokens = Math.min(20, tokens + refillPerMs * CYCLE_MS);
    const due = new Map<string, typeof events>();
    for (const e of events) {
      if (e.done || e.due > t) continue;
      const tier = tierAt(e.start, new Date(t), schedule);
      if (tier.everyMs === null) {
        e.done = true;
        continue;
      }
      const list = due.get(tier.name) ?? [];
      list.push(e);
      due.set(tier.name, list);
    }
    for (const name of ["high", "medium", "low"]) {
      const list = (due.get(name) ?? []).sort((a, b) => a.due - b.due).slice(0, CAPS[name]);
      for (const e of list) {
        if (sharedBudget && tokens < 2) break;
        if (sharedBudget) tokens -= 2;
        calls.push({ at: t, connectionId: e.conn }, { at: t, connectionId: e.conn });
        syncs.push({ eventId: e.id, at: t });
        const tier = tierAt(e.start, new Date(t), schedule);
        e.due = t + (tier.everyMs ?? Infinity);
      }
    }
  }
  return { calls, syncs };
}
