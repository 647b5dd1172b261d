/**
 * Human durations for the configuration file and flags: `90s`, `15m`, `4h`, `1d`, `250ms`, or a
 * plain number of milliseconds. Operators write schedules in minutes and hours; the engine wants ms.
 */
const UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/** Parses a duration into milliseconds; returns null when the text is not one. */
export function parseDuration(input: string | number): number | null {
  if (typeof input === "number") return Number.isFinite(input) && input >= 0 ? input : null;
  const text = input.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const match = PATTERN.exec(text);
  if (!match) return null;
  const unit = UNITS[match[2] as string] as number;
  return Math.round(Number(match[1]) * unit);
}

/** Formats milliseconds compactly for people: `3h 12m`, `45s`, `120ms`. */
export function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  const sign = ms < 0 ? "-" : "";
  if (abs < 1_000) return `${sign}${Math.round(abs)}ms`;
  if (abs < 60_000) return `${sign}${Math.round(abs / 1_000)}s`;
  const totalMinutes = Math.floor(abs / 60_000);
  const days = Math.floor(totalMinutes / 1_440);
  const hours = Math.floor((totalMinutes % 1_440) / 60);
  const minutes = totalMinutes % 60;
  if (days > 0) return `${sign}${days}d ${hours}h`;
  if (hours > 0) return `${sign}${hours}h ${minutes}m`;
  return `${sign}${minutes}m`;
}
