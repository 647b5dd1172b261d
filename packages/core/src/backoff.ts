/**
 * Exponential backoff with full jitter: after `failures` consecutive failures, a delay drawn
 * uniformly from [base/2, min(cap, base * 2^(failures-1))]. The floor of half the base keeps a
 * failing event from hammering the provider when the random draw is small; the jitter spreads
 * events that failed together (one outage) so they do not all retry in the same second.
 */
export function backoffDelayMs(failures: number, baseMs: number, maxMs: number, random: () => number): number {
  const exponent = Math.max(0, Math.min(failures - 1, 30));
  const ceiling = Math.min(maxMs, baseMs * 2 ** exponent);
  const floor = Math.min(ceiling, baseMs / 2);
  return Math.round(floor + (ceiling - floor) * clamp01(random()));
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0.5;
}
