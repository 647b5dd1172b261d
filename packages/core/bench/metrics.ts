import { resolveSchedule, tierAt } from "@project88/core";

const HOUR = 3_600_000;
const MIN = 60_000;
const schedule = resolveSchedule({});

/** The value at quantile `p` of `sorted` (ascending; undefined when empty): the one rule the staleness and latency figures use. */
export function quantileMs(sorted: readonly number[], p: number): number | undefined {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** One successful sync of one event: when its data was taken (the signpost). */
export interface SyncRecord {
  readonly eventId: string;
  readonly at: number;
}

/** What the benchmark prints per policy. */
export interface PolicyFigures {
  readonly policy: string;
  readonly totalCalls: number;
  readonly callsPerConnHourMax: number;
  readonly callsPerConnHourMean: number;
  readonly busiestConnCallsPerHour: number;
  /** Connections whose calls in some rolling hour exceeded 1000. */
  readonly budgetViolations: number;
  readonly worstRollingHour: number;
  readonly onTime: Record<string, { syncs: number; onTime: number }>;
  readonly highStalenessP50s: number;
  readonly highStalenessP99s: number;
  /** The same, for high-tier events of every connection but the busiest (whose budget binds). */
  readonly othersStalenessP50s: number;
  readonly othersStalenessP99s: number;
}

/** Computes the figures of one policy over [from, to). */
export function figures(
  policy: string,
  calls: readonly { at: number; connectionId: string }[],
  syncs: readonly SyncRecord[],
  starts: ReadonlyMap<string, Date>,
  connections: readonly string[],
  from: number,
  to: number,
  busiestEvents: ReadonlySet<string> = new Set(),
): PolicyFigures {
  const hours = Math.round((to - from) / HOUR);
  const inWindow = calls.filter((c) => c.at >= from && c.at < to);
  const perCell = new Map<string, number>();
  for (const c of inWindow) {
    const k = `${c.connectionId}:${Math.floor((c.at - from) / HOUR)}`;
    perCell.set(k, (perCell.get(k) ?? 0) + 1);
  }
  const cells = connections.length * hours;
  const perConn = new Map<string, number[]>();
  for (const c of calls) {
    const list = perConn.get(c.connectionId);
    if (list === undefined) perConn.set(c.connectionId, [c.at]);
    else list.push(c.at);
  }
  let violations = 0;
  let worst = 0;
  for (const times of perConn.values()) {
    times.sort((a, b) => a - b);
    let lo = 0;
    let best = 0;
    for (let hi = 0; hi < times.length; hi++) {
      while ((times[hi] as number) - (times[lo] as number) >= HOUR) lo++;
      best = Math.max(best, hi - lo + 1);
    }
    worst = Math.max(worst, best);
    if (best > 1000) violations++;
  }
  const perConnWindow = new Map<string, number>();
  for (const c of inWindow) perConnWindow.set(c.connectionId, (perConnWindow.get(c.connectionId) ?? 0) + 1);
  const busiest = Math.max(0, ...perConnWindow.values()) / hours;

  // On time: the gap after each sync is within the interval of the tier the event was in.
  const byEvent = new Map<string, number[]>();
  for (const s of syncs) {
    const list = byEvent.get(s.eventId);
    if (list === undefined) byEvent.set(s.eventId, [s.at]);
    else list.push(s.at);
  }
  const onTime: Record<string, { syncs: number; onTime: number }> = {};
  const samples: number[] = [];
  const others: number[] = [];
  for (const [eventId, list] of byEvent) {
    list.sort((a, b) => a - b);
    const start = starts.get(eventId);
    if (start === undefined) continue;
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1] as number;
      if (prev < from || prev >= to) continue;
      const tier = tierAt(start, new Date(prev), schedule);
      if (tier.everyMs === null) continue;
      const entry = onTime[tier.name] ?? { syncs: 0, onTime: 0 };
      onTime[tier.name] = entry;
      entry.syncs++;
      if ((list[i] as number) - prev <= tier.everyMs + 5_000) entry.onTime++;
    }
  }
  // Staleness of high-tier events, sampled each minute: age of the data last taken.
  for (const [eventId, start] of starts) {
    const list = byEvent.get(eventId) ?? [];
    let i = 0;
    let last = -Infinity;
    // Sample once a minute at a shifting offset: syncs land on the tier grid, and sampling on
    // that grid too would read 0 s every time.
    for (let k = 0, t = from + 7_919; t < to; k++, t = from + k * MIN + ((k * 7_919) % MIN)) {
      while (i < list.length && (list[i] as number) <= t) last = list[i++] as number;
      if (tierAt(start, new Date(t), schedule).name !== "high") continue;
      const age = Number.isFinite(last) ? t - last : t - from + HOUR;
      samples.push(age);
      if (!busiestEvents.has(eventId)) others.push(age);
    }
  }
  samples.sort((a, b) => a - b);
  others.sort((a, b) => a - b);
  const quantile = (list: number[], p: number) => (quantileMs(list, p) ?? 0) / 1000;
  const q = (p: number) => quantile(samples, p);
  return {
    policy,
    totalCalls: inWindow.length,
    callsPerConnHourMax: Math.max(0, ...perCell.values()),
    callsPerConnHourMean: inWindow.length / cells,
    busiestConnCallsPerHour: busiest,
    budgetViolations: violations,
    worstRollingHour: worst,
    onTime,
    highStalenessP50s: q(0.5),
    highStalenessP99s: q(0.99),
    othersStalenessP50s: quantile(others, 0.5),
    othersStalenessP99s: quantile(others, 0.99),
  };
}
