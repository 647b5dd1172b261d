import { createRng, type Rng } from "@project88/runsignup-adapter/testing";

/**
 * Seeds and sizes of the reliability suite. Every randomised test takes its seed from `SEED`
 * (to replay a failure) or draws one, and prints it either way, so any run can be repeated.
 */

/** The seed for `name`: `SEED` when set, otherwise a fresh one. Printed on stderr. */
export function seedFor(name: string): number {
  const given = process.env.SEED;
  const seed = given !== undefined && given !== "" ? Number(given) >>> 0 : Math.floor(Math.random() * 2 ** 31);
  process.stderr.write(`[reliability] ${name}: SEED=${seed} (replay: SEED=${seed} pnpm test:reliability)\n`);
  return seed;
}

/** A seeded random source for `name` (see `seedFor`). */
export function rngFor(name: string): { seed: number; rng: Rng } {
  const seed = seedFor(name);
  return { seed, rng: createRng(seed) };
}

/** A whole-number setting from the environment (counts and sizes are configurable: the machine is small). */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${raw}"`);
  return n;
}

/** A figure the suite measured: printed on stderr so a run's output carries it. */
export function report(name: string, figures: Record<string, unknown>): void {
  process.stderr.write(`[reliability] ${name}: ${JSON.stringify(figures)}\n`);
}

/** Sleeps; only for pacing real processes (never to wait for a condition: use `eventually`). */
export const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
