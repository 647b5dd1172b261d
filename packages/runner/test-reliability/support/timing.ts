import type { FakeDataset, FakeKey } from "@project88/runsignup-adapter/testing";
import type { CliChild } from "../../test/support/cli-process.js";

/** GETs a path of a runner's HTTP server on loopback and returns the body. */
export async function getText(port: number, path: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return res.text();
}

/**
 * For each event of the races `key` sees (less `excludeRaces`): the longest time, from `fromMs`
 * to the child's last log line, without a successful pass (`sync:finish`) of that event. An
 * event synced on time every 2 s shows a gap a little over 2 s; one never synced, the window.
 */
export function finishGaps(
  child: CliChild,
  dataset: FakeDataset,
  key: FakeKey,
  fromMs: number,
  excludeRaces: readonly number[] = [],
): Map<string, number> {
  const logs = child.logs();
  const endMs = Math.max(...logs.map((l) => Number(l.time)));
  const events = dataset
    .racesFor(key)
    .filter((r) => !excludeRaces.includes(r.raceId))
    .flatMap((r) => r.events.map((e) => String(e.eventId)));
  const gaps = new Map<string, number>();
  for (const eventId of events) {
    const times = logs
      .filter((l) => l.event === "sync:finish" && (l.eventIds as string[]).includes(eventId) && Number(l.time) >= fromMs)
      .map((l) => Number(l.time));
    let last = fromMs;
    let worst = 0;
    for (const t of [...times, endMs]) {
      worst = Math.max(worst, t - last);
      last = t;
    }
    gaps.set(eventId, worst);
  }
  return gaps;
}
