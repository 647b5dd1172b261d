import { registrationProblem, removalProblem, StoreError } from "@project88/core";
import type { Registration, Removal } from "@project88/core";

/** Checks a row against its columns' types with core's rules, so every store refuses the same rows. */
function problemOf(row: Registration | Removal, provider: string): string | null {
  return "reason" in row ? removalProblem(row, provider) : registrationProblem(row, provider);
}

/** The same, as JSON.stringify escapes it (`\ud800` not followed or preceded by its partner). */
const LONE_SURROGATE_ESCAPE = /\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}/i;

/** Serialises `raw` for a jsonb column, or names why it cannot be stored. */
export function rawJson(raw: unknown): { json: string | null; problem: string | null } {
  if (raw === undefined) return { json: null, problem: null };
  try {
    const json = JSON.stringify(raw);
    if (json.includes("\\u0000")) return { json: null, problem: "raw contains a NUL character (jsonb cannot store it)" };
    if (json.includes("\\ud") && LONE_SURROGATE_ESCAPE.test(json)) return { json: null, problem: "raw contains a lone UTF-16 surrogate" };
    return { json, problem: null };
  } catch (error) {
    return { json: null, problem: `raw is not serialisable as JSON (${error instanceof Error ? error.message : String(error)})` };
  }
}

/**
 * Validates every row of a page and serialises its raw JSON. The first bad row fails the whole
 * page with a non-retryable `StoreError` naming the registration; nothing has been written yet.
 */
export function checkRows<Row extends Registration | Removal>(provider: string, rows: readonly Row[], kind: string): (string | null)[] {
  const raws: (string | null)[] = [];
  for (const row of rows) {
    let problem = problemOf(row, provider);
    const raw = problem === null ? rawJson(row.raw) : { json: null, problem: null };
    problem ??= raw.problem;
    if (problem !== null) {
      throw new StoreError(
        `[postgres-store] commitPage: ${kind} ${JSON.stringify(String(row.registrationId))} (${provider}) was not written: ${problem}; the page was rolled back`,
        { retryable: false },
      );
    }
    raws.push(raw.json);
  }
  return raws;
}
