import { usableConnectionIds } from "./dispatch.js";
import type { PlanConnection, PlanReport } from "./engine-types.js";
import { fullPullPages, raceKinds } from "./estimate.js";
import type { ResolvedOptions, ResolvedSchedule } from "./options.js";
import { finishStates, patchedState } from "./pass-states.js";
import { eventPriority, removalsDue, tierAt } from "./policy.js";
import type { StoredEvent } from "./store.js";
import type { PassKind, TierName } from "./types.js";

const HOUR_MS = 3_600_000;

/** One race's calls in one forecast hour, with how urgent its most urgent event was then. */
interface HourShare {
  calls: number;
  priority: number;
  events: Map<string, { provider: string; eventId: string; raceId: string; tier: TierName }>;
}

/**
 * `plan(hours)`: replays the tier policy forward for every event, passes coalesced per race as
 * the engine runs them (one call per pass, the removal feed at its cadence, full pulls paged by
 * the stored counts for backfills and reconciliations), and adds the calls per connection per
 * hour. In an hour over budget, the races are ranked as the store would claim them; the least
 * urgent ones that do not fit are named as late from that hour.
 */
export async function buildPlan(options: ResolvedOptions, hours: number): Promise<PlanReport> {
  const now = options.clock.now();
  const span = Math.max(1, Math.floor(hours));
  const end = now.getTime() + span * HOUR_MS;
  // Finished events plan no calls: the working set (events not done) is all a forecast needs.
  const all = (await options.store.listWorkingSet({ recentSince: now, providers: [...options.adapters.keys()] })).filter(
    (e) => e.state.nextDueAt !== null,
  );
  const races = new Map<string, StoredEvent[]>();
  for (const e of all) {
    const k = `${e.provider}\u0000${e.raceId}`;
    races.set(k, [...(races.get(k) ?? []), e]);
  }
  const perConn = new Map(options.connections.map((c) => [c.id, { total: 0, hours: [] as Map<string, HourShare>[] }]));
  for (const load of perConn.values()) for (let h = 0; h < span; h++) load.hours.push(new Map());
  for (const [raceKey, events] of races) {
    const shares = simulateRace(events, now, end, options.schedule, options.adapters.get(events[0]?.provider ?? "")?.pageSize);
    const total = shares.reduce((n, s) => n + (s?.calls ?? 0), 0);
    // Give the race to the connection that sees it with the least planned load (as the engine spreads by tokens).
    const ids = new Set(usableConnectionIds(events));
    const candidates = options.connections.filter((c) => ids.has(c.id));
    if (candidates.length === 0 || total === 0) continue;
    const target = candidates.reduce((best, c) => ((perConn.get(c.id)?.total ?? 0) < (perConn.get(best.id)?.total ?? 0) ? c : best));
    const load = perConn.get(target.id);
    if (load === undefined) continue;
    load.total += total;
    shares.forEach((share, h) => {
      if (share !== undefined) load.hours[h]?.set(raceKey, share);
    });
  }
  const connections: PlanConnection[] = options.connections.map((c) => {
    const load = perConn.get(c.id);
    const late = new Map<string, PlanConnection["lateEvents"][number]>();
    const hourly = (load?.hours ?? []).map((shares, h) => {
      const start = new Date(now.getTime() + h * HOUR_MS);
      const ranked = [...shares.values()].sort((a, b) => a.priority - b.priority);
      let calls = 0;
      for (const share of ranked) {
        calls += share.calls;
        if (calls <= c.callsPerHour) continue;
        for (const e of share.events.values()) if (!late.has(e.eventId)) late.set(e.eventId, { ...e, from: start });
      }
      return { start, calls, budget: c.callsPerHour, over: calls > c.callsPerHour };
    });
    return { id: c.id, callsPerHour: c.callsPerHour, hours: hourly, lateEvents: [...late.values()] };
  });
  return { generatedAt: now, hours: span, connections };
}

/**
 * The calls of one race per forecast hour, replaying each event's schedule with the engine's own
 * rules: `passKindFor` picks the pass, `removalsDue` decides the removal feed, and `finishStates`
 * moves the state exactly as a committed pass does.
 */
function simulateRace(
  events: readonly StoredEvent[],
  now: Date,
  end: number,
  schedule: ResolvedSchedule,
  pageSize: number | undefined,
): (HourShare | undefined)[] {
  const shares: (HourShare | undefined)[] = [];
  const sim = events
    .filter((e) => e.state.nextDueAt !== null)
    .map((e) => ({ event: e, due: Math.max(now.getTime(), (e.state.nextDueAt as Date).getTime()) }));
  for (let guard = 0; guard < 100_000 && sim.length > 0; guard++) {
    const t = Math.min(...sim.map((s) => s.due));
    if (t >= end) break;
    const at = new Date(t);
    let full = 0;
    let incremental = false;
    let removals = false;
    const dueNow = sim.filter((x) => x.due <= t);
    const { kinds, whole } = raceKinds(
      dueNow.map((s) => s.event),
      at,
      schedule,
      pageSize,
    );
    let priority = Infinity;
    const h = Math.floor((t - now.getTime()) / HOUR_MS);
    const share = shares[h] ?? { calls: 0, priority: Infinity, events: new Map() };
    for (const [i, s] of dueNow.entries()) {
      const { event } = s;
      const kind = kinds[i] as PassKind;
      // A race read whole takes one call, like an incremental pull.
      if (kind === "incremental" || (whole && kind === "reconcile")) incremental = true;
      else full += fullPullPages(event.activeRegistrations);
      const removalsRan = kind === "backfill" || removalsDue(event.state, at);
      if (removalsRan) removals = true;
      priority = Math.min(priority, eventPriority(event, at, schedule));
      share.events.set(event.eventId, {
        provider: event.provider,
        eventId: event.eventId,
        raceId: event.raceId,
        tier: tierAt(event, at, schedule).name,
      });
      const [patch] = finishStates([event], { kind, signpost: at, cursorAt: at, removalsRan, resumed: false }, schedule);
      s.event = { ...event, state: patchedState(event.state, patch) };
      const next = s.event.state.nextDueAt;
      s.due = next === null ? Infinity : Math.max(next.getTime(), t + 1);
    }
    share.calls += full + (incremental ? 1 : 0) + (removals ? 1 : 0);
    share.priority = Math.min(share.priority, priority);
    shares[h] = share;
    for (let i = sim.length - 1; i >= 0; i--) if (sim[i]?.due === Infinity) sim.splice(i, 1);
  }
  return shares;
}
