/**
 * Wall-clock times in an IANA zone, converted with `Intl` only. RaceNest sends a race's start as
 * `2026-05-03T08:00` in the event's zone; the engine needs the UTC instant. Getting this wrong
 * moves a race morning by hours, so it is done in one place.
 */

function parts(instant: number, timeZone: string): Record<string, number> {
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  const out: Record<string, number> = {};
  for (const p of format.formatToParts(new Date(instant))) if (p.type !== "literal") out[p.type] = Number(p.value);
  return out;
}

/** The zone's offset from UTC at `instant`, in ms. */
function offsetAt(instant: number, timeZone: string): number {
  const p = parts(instant, timeZone);
  const asUtc = Date.UTC(p.year ?? 1970, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0, p.second ?? 0);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** `YYYY-MM-DDTHH:MM` in `timeZone` → the UTC instant. Throws on a malformed string. */
export function wallClockToUtc(local: string, timeZone: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(local);
  if (!m) throw new RangeError(`not a wall-clock time: ${local}`);
  const naive = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  // Two rounds settle the offset across a DST change (the second uses the offset at the guess).
  let guess = naive - offsetAt(naive, timeZone);
  guess = naive - offsetAt(guess, timeZone);
  return new Date(guess);
}

/** The UTC instant → `YYYY-MM-DDTHH:MM` in `timeZone` (what the fake provider stores). */
export function utcToWallClock(instant: Date, timeZone: string): string {
  const p = parts(instant.getTime(), timeZone);
  const two = (n: number | undefined) => String(n ?? 0).padStart(2, "0");
  return `${p.year}-${two(p.month)}-${two(p.day)}T${two(p.hour)}:${two(p.minute)}`;
}
